from . import sign_callback
