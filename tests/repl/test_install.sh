#!/bin/sh
# test_install.sh CMAKE BUILD_DIR SOURCE_DIR: installs tensh into a temporary
# prefix with `cmake --install` and checks that the installed binary finds its
# stdlib under that prefix (not in the source tree), that TENSH_STDLIB
# overrides it, and that a script requires the modules next to it from any
# working directory. The build tree's binary uses the source stdlib.
set -eu
CMAKE=$1
BUILD=$2
SOURCE=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$CMAKE" --install "$BUILD" --prefix "$tmp/prefix" >/dev/null || fail "cmake --install"
bin=$tmp/prefix/bin/tensh
[ -x "$bin" ] || fail "no $bin"
stdlib=$tmp/prefix/share/tensh/stdlib
mkdir -p "$stdlib"
echo 'return {where = "installed stdlib"}' >"$stdlib/tsh_install_probe.lua"

cd "$tmp"
out=$("$bin" -e 'print(require("tsh_install_probe").where)') || fail "require from the stdlib"
[ "$out" = "installed stdlib" ] || fail "require from the stdlib gave '$out'"
reg=$("$bin" -e 'print(debug.getregistry()["tensh.stdlib"])')
case "$reg" in "$tmp"/prefix/bin/../share/tensh/stdlib) ;; *) fail "stdlib is '$reg'" ;; esac
out=$("$bin" -e 'print(tensor.ones(2, 3):numel())') || fail "installed tensh runs"
[ "$out" = 6 ] || fail "installed tensh printed '$out'"

mkdir -p "$tmp/other"
echo 'return {where = "override"}' >"$tmp/other/tsh_install_probe.lua"
out=$(TENSH_STDLIB="$tmp/other" "$bin" -e 'print(require("tsh_install_probe").where)')
[ "$out" = override ] || fail "TENSH_STDLIB gave '$out'"

mkdir -p "$tmp/project/pkg"
echo 'return {answer = 42}' >"$tmp/project/helper.lua"
echo 'return {name = "pkg"}' >"$tmp/project/pkg/init.lua"
echo 'print(require("helper").answer, require("pkg").name, ...)' >"$tmp/project/main.lua"
cd /
out=$("$bin" "$tmp/project/main.lua" a b) || fail "script with a module next to it"
[ "$out" = "42	pkg	a	b" ] || fail "script printed '$out'"

if [ -d "$SOURCE/stdlib" ]; then
  reg=$("$BUILD/tensh" -e 'print(debug.getregistry()["tensh.stdlib"])')
  [ "$reg" = "$SOURCE/stdlib" ] || fail "build tree uses '$reg'"
fi
echo "install: 4 passed, 0 failed"
