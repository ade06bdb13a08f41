"""The printed record's verification QR code, as a PNG.

Odoo's barcode widget draws a QR code with reportlab, shape by shape in pure Python: about as
long as wkhtmltopdf takes to print the whole page, which made it the larger half of a batch
print. The qrcode library (an Odoo dependency) gives the module matrix, and Pillow draws it at
once: the same code (the QR standard fixes it for a text, an error-correction level and a mask)
in a fraction of the time.
"""

import io

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_L

# printed 108 px wide (see the report's style): drawn at least twice that, whole pixels a module
MIN_PIXELS = 216


def qr_matrix(text):
    """The QR code of ``text`` (level L, as Odoo's widget; no quiet zone: the page around the
    code is blank), a list of rows of booleans, True for a dark module."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=0)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def qr_png(text, min_pixels=MIN_PIXELS):
    """PNG bytes of the QR code of ``text``, black on white, square, each module a square of
    whole pixels (no blur when printed), at least ``min_pixels`` wide."""
    matrix = qr_matrix(text)
    modules = len(matrix)
    image = Image.new("L", (modules, modules))
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    scale = -(-min_pixels // modules)
    image = image.resize((modules * scale, modules * scale), Image.NEAREST).convert("1")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
