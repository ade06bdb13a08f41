#!/usr/bin/env bash
# Refresh every addon's vi.po from Odoo's own export, so that no term a screen shows is missing.
#
#   tools/refresh_po.sh            (needs the virtualenv and PostgreSQL, like bin/test)
#
# Odoo's exporter knows every term (field labels and selections of every model, views, menus,
# Python and JavaScript strings); a translation written by hand for one field is easy to forget
# for the next model that declares the same label. This installs the addons into a scratch
# database with vi_VN, exports each addon's terms in Vietnamese (translations already in vi.po
# come back filled), fills the empty ones from the same source text translated anywhere in the
# repository (tools/fill_po.py), writes vi.po and the .pot, and lists what still needs a
# translator.
source "$(dirname "$0")/../bin/_common.sh"
check_odoo
start_postgresql
ensure_db_role
prepare_venv
PORT="${HOCBASO_TEST_PORT:-8199}"
DB="hocbaso_po_$$"
CFG="$VAR_DIR/odoo-po-$PORT.cfg"
mkdir -p "$VAR_DIR"
write_odoo_config "$CFG" "$DB" "$PORT"
trap 'dropdb -h 127.0.0.1 -U "$DB_USER" --if-exists "$DB"' EXIT
say "installing the addons into $DB with vi_VN"
"$PY" "$ODOO_SRC/odoo-bin" -c "$CFG" -d "$DB" -i "$ADDONS" --load-language=vi_VN \
    --stop-after-init --log-level=warn || die "installing the addons failed"
for addon in ${ADDONS//,/ }; do
    out="$VAR_DIR/$addon.export.po"
    "$PY" "$ODOO_SRC/odoo-bin" -c "$CFG" -d "$DB" --i18n-export="$out" --modules="$addon" \
        --language=vi_VN --stop-after-init --log-level=warn || die "exporting $addon failed"
    "$PY" "$REPO_ROOT/tools/fill_po.py" "$out" "$REPO_ROOT/$addon/i18n/vi.po"
done
"$PY" "$REPO_ROOT/tools/sync_pot.py"
