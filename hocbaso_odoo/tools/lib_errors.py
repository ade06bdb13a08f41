"""Show errors of the plain-Python layer (hocbaso.errors) in the user's language.

The library raises English templates; their Vietnamese translations live in this addon's
i18n/vi.po (extracted from lib_messages.py), so translate them as this module's code terms.
"""

from odoo.exceptions import UserError, ValidationError
from odoo.tools.translate import get_translation

from hocbaso.errors import Problem

MODULE = "hocbaso_odoo"


def lib_message(env, err):
    """Render a hocbaso.errors.HocbasoError or Problem in the language of ``env`` (parameters
    that are Problems themselves, such as a role's label, translated too)."""
    lang = env.lang or "en_US"
    params = err.params or {}
    if any(isinstance(value, Problem) for value in params.values()):
        params = {key: lib_text(env, value) for key, value in params.items()}
    try:
        return get_translation(MODULE, lang, err.template, params or ())
    except Exception:  # a broken translation must never hide the error itself
        return err.message


def lib_text(env, value):
    """``value`` in the language of ``env`` when it is a Problem (a verification report's
    problems, warnings and labels); any other value as it is."""
    return lib_message(env, value) if isinstance(value, Problem) else value


def raise_as_user_error(env, err):
    raise UserError(lib_message(env, err)) from err


def raise_as_validation_error(env, err):
    raise ValidationError(lib_message(env, err)) from err
