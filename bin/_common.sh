# Shared set-up for bin/demo and bin/test. Source it; do not run it.
# Finds Odoo 18.0, installs what is missing, starts PostgreSQL, prepares the virtualenv.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-/opt/odoo-18.0}"
HOCBASO_VENV="${HOCBASO_VENV:-$HOME/.cache/hocbaso/venv}"
VAR_DIR="${HOCBASO_VAR:-$REPO_ROOT/var}"
ADDONS="hocbaso_odoo,hocbaso_odoo_sign,hocbaso_odoo_sync"
PY="$HOCBASO_VENV/bin/python"

say() { printf '\033[1m[hocbaso]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[hocbaso] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

check_odoo() {
    local release="$ODOO_SRC/odoo/release.py"
    if [ ! -f "$ODOO_SRC/odoo-bin" ] || [ ! -f "$release" ]; then
        die "Odoo 18.0 not found at ODOO_SRC=$ODOO_SRC (no odoo-bin there).
    Put an Odoo 18.0 Community source tree there, or export ODOO_SRC=/path/to/odoo-18.0.
    See README.md, section 'Where Odoo comes from'."
    fi
    if ! grep -q "^version_info = (18, 0," "$release"; then
        die "ODOO_SRC=$ODOO_SRC is not Odoo 18.0 ($(grep '^version_info' "$release"))."
    fi
}

install_debian_packages() {
    local missing=() pkg
    while read -r pkg; do
        case "$pkg" in ''|'#'*) continue ;; esac
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done < "$REPO_ROOT/debian-packages.txt"
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
        || die "could not install Debian packages: ${missing[*]}"
}

start_postgresql() {
    if pg_isready -q -h 127.0.0.1 2>/dev/null || pg_isready -q 2>/dev/null; then return 0; fi
    say "PostgreSQL is down: starting it"
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$version" ] || die "PostgreSQL is not installed (no /etc/postgresql): apt-get install postgresql"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
        || pg_ctlcluster "$version" main start || die "PostgreSQL $version would not start"
    for _ in $(seq 1 30); do pg_isready -q && return 0; sleep 1; done
    die "PostgreSQL did not come up"
}

# Odoo refuses to run as the postgres superuser; use a role of our own with the right to create DBs.
DB_USER="${HOCBASO_DB_USER:-hocbaso}"
ensure_db_role() {
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'\"" | grep -q 1 \
            || su postgres -c "psql -qc \"CREATE ROLE $DB_USER LOGIN CREATEDB\"" \
            || die "could not create the PostgreSQL role $DB_USER"
    fi
}

prepare_venv() {
    local stamp="$HOCBASO_VENV/.hocbaso-requirements" want
    want="$(cat "$REPO_ROOT/requirements.txt" "$REPO_ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$PY" ]; then
        say "creating the virtualenv $HOCBASO_VENV"
        python3 -m venv "$HOCBASO_VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want:$REPO_ROOT" ]; then
        say "installing Python requirements"
        "$PY" -m pip install -q --upgrade pip wheel setuptools >/dev/null
        "$PY" -m pip install -q -r "$REPO_ROOT/requirements.txt" || die "pip install failed"
        "$PY" -m pip install -q --no-deps -e "$REPO_ROOT" || die "pip install -e . failed"
        echo "$want:$REPO_ROOT" > "$stamp"
    fi
    # Make `import odoo` work for pytest-odoo and the tools, pointing at ODOO_SRC.
    local site
    site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    echo "$ODOO_SRC" > "$site/odoo-src.pth"
}

write_odoo_config() {  # $1 = config path, $2 = database, $3 = http port
    mkdir -p "$(dirname "$1")" "$VAR_DIR/filestore"
    cat > "$1" <<CFG
[options]
addons_path = $ODOO_SRC/addons,$REPO_ROOT
data_dir = $VAR_DIR/filestore
db_name = $2
db_user = $DB_USER
db_host = 127.0.0.1
db_port = 5432
db_password = False
http_interface = 127.0.0.1
http_port = $3
list_db = False
without_demo = all
CFG
}

setup_all() {
    check_odoo
    install_debian_packages
    start_postgresql
    ensure_db_role
    prepare_venv
    mkdir -p "$VAR_DIR"
}

# Odoo can exit 0 although a test failed or a test module did not import: read the log.
check_odoo_log() {  # $1 = exit code, $2 = log, $3... = test classes that must have run
    local code="$1" log="$2" problems summary cls
    shift 2
    # an untranslatable _() call (no env in reach) is an error too: the user would read English
    problems="$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |no translation language detected' "$log" || true)"
    summary="$(grep -E 'odoo.tests.result: ' "$log" | tail -n 1 || true)"
    if [ "$code" -ne 0 ] || [ -n "$problems" ]; then
        tail -n 80 "$log" >&2
        say "Odoo install/test log: $log"
        die "Odoo exited with $code or logged errors:
$problems"
    fi
    for cls in "$@"; do
        grep -q "Starting $cls" "$log" || die "the Odoo test class $cls did not run (see $log)"
    done
    say "Odoo log clean: ${summary:-installed, no tests run by Odoo here}"
}
