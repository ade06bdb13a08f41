"""XML-DSig (XAdES-BES) signatures in the signature slots of a hocbaso-1.0 record: the public
facade over the modules that do the work, one concern each:

- :mod:`.dsig_primitives`: namespaces, algorithms, C14N, base64, keys, signature values;
- :mod:`.dsig_layout`: the slots, signature Ids, what each role covers and the signing order;
- :mod:`.dsig_build`: making signatures, in one go or in two phases (prepare, complete);
- :mod:`.dsig_check`: checking one signature's digests and value.

Why a facade rather than updating every importer: the addons (hocbaso_odoo_sign models,
wizard and tools, their tests, bench/, tools/) use this module as a namespace (``X.sign_slot``,
``X.ROLE_GVBM``...) on a few hundred lines; rewriting those lines would touch addon logic other
people edit at the same time. Every name is defined once, in the module listed above; this file
only re-exports it. New library code imports from those modules directly.

Why not signxml: see hocbaso/signing/README.md.
"""

from __future__ import annotations

from .base import ECDSA_SHA256, RSA_SHA256  # noqa: F401
from .dsig_build import (  # noqa: F401
    MadeSignature,
    PendingSignature,
    append_reference,
    complete_signature,
    prepare_signature,
    sign_slot,
    sign_slots,
    sign_slots_made,
)
from .dsig_check import (  # noqa: F401
    ReferenceCheck,
    check_earlier_signatures,
    reference_checks,
    signature_certificates,
    signature_crypto_errors,
    signature_value_ok,
)
from .dsig_layout import (  # noqa: F401
    DATA_ID,
    ROLE_CBQL,
    ROLE_GVBM,
    ROLE_GVCN,
    ROLE_ISSUER,
    ROLE_LABELS,
    SIGNATURE_IDS,
    SIGNING_ORDER,
    Layout,
    Slot,
    SlotPlan,
    check_order,
    plan_signature,
    role_label,
    signature_plan,
    subject_element_id,
    subject_signature_id,
)
from .dsig_primitives import (  # noqa: F401
    C14N,
    C14N_METHODS,
    C14N_WITH_COMMENTS,
    DIGEST_METHODS,
    DS_NS,
    EXC_C14N,
    EXC_C14N_WITH_COMMENTS,
    SHA256,
    SIGNATURE_METHODS,
    XADES_NS,
    XADES_SIGNED_PROPERTIES_TYPE,
    algorithm_for,
    b64,
    b64decode,
    canonicalize,
    check_signature_value,
    ds,
    format_signing_time,
    id_index,
    issuer_serial_v2,
    parse_signing_time,
    public_key_of,
    serialize,
    to_xmldsig_value,
    xades,
)
