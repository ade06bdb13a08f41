"""Show errors of the plain-Python layer (hocbaso.errors) in the user's language.

The library raises English templates; their Vietnamese translations live in this addon's
i18n/vi.po (extracted from lib_messages.py), so translate them as this module's code terms.
"""

from odoo.exceptions import UserError, ValidationError
from odoo.tools.translate import get_translation

MODULE = "hocbaso_odoo"


def lib_message(env, err):
    """Render a hocbaso.errors.HocbasoError in the language of ``env``."""
    lang = env.lang or "en_US"
    try:
        return get_translation(MODULE, lang, err.template, err.params or ())
    except Exception:  # a broken translation must never hide the error itself
        return err.message


def raise_as_user_error(env, err):
    raise UserError(lib_message(env, err)) from err


def raise_as_validation_error(env, err):
    raise ValidationError(lib_message(env, err)) from err
