from . import frontend_lang
from . import portal
from . import verify
