from . import test_signing
from . import test_backends
