#!/usr/bin/env bash
# thru-check-image.sh ELF BIN -- validate a ThruVM executable image and its ELF.
#
# Image (spec executable.md §1):  byte 0 = 0x01, bytes 1..7 = 0, last 8 bytes = 0,
#   size >= 20 (CLI upload minimum), not an ELF file, program part <= 16 MiB.
# ELF (ThruModel link contract):  _start at 0x3000000; image size matches the
#   linked PROGRAM segment (header + [0x3000000, __thru_program_end)); no
#   .bss/.got/.plt/.dynamic/.rela/TLS/init-array sections; no __global_pointer$;
#   every instruction in .text belongs to RV64IMC + Zba + Zbb + Zbs + Zknh
#   (no Zbc, A, F/D, CSR, fence.i, ebreak); no gp/tp-relative addressing.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 program.elf program.bin" >&2
  exit 2
fi
elf=$1
bin=$2
cross=${THRU_CROSS:-riscv64-unknown-elf-}
name=$(basename "$bin")
fail() { echo "thru-check-image: $name: $*" >&2; exit 1; }

# ---- image bytes --------------------------------------------------------------
size=$(stat -c %s "$bin")
[ "$size" -ge 20 ] || fail "image is $size bytes (< 20)"
[ "$size" -le $((16 * 1024 * 1024 + 16)) ] || fail "image too large ($size bytes)"
head_hex=$(od -An -tx1 -N8 "$bin" | tr -d ' \n')
[ "$head_hex" = "0100000000000000" ] || fail "bad header: $head_hex (want 0100000000000000)"
tail_hex=$(tail -c 8 "$bin" | od -An -tx1 | tr -d ' \n')
[ "$tail_hex" = "0000000000000000" ] || fail "bad trailer: $tail_hex (want 8 zero bytes)"

# ---- ELF symbols and sections -------------------------------------------------
sym() { "${cross}nm" "$elf" | awk -v s="$1" '$3 == s { print $1 }'; }
start=$(sym _start)
[ "$start" = "0000000003000000" ] || fail "_start is at 0x$start (want 0x3000000)"
end=$(sym __thru_program_end)
[ -n "$end" ] || fail "missing __thru_program_end (not linked with sdk/thru.ld?)"
want=$((8 + 0x$end - 0x3000000))
[ "$size" -eq "$want" ] || fail "image is $size bytes but the ELF program segment needs $want"
[ -z "$(sym '__global_pointer$')" ] || fail "__global_pointer\$ defined (gp is 0 in ThruVM)"

# readelf -SW rows without the "[Nr]" column: name type address offset size ...
shdrs=$("${cross}readelf" -SW "$elf" | sed -n 's/^ *\[ *[0-9]*\] *//p')
secsz() { echo "$shdrs" | awk -v s="$1" '$1 == s { print $5 }'; }
secdec() { local h; h=$(secsz "$1"); echo $((0x${h:-0})); }
sections=$(echo "$shdrs" | awk '{ print $1 }')
for s in $sections; do
  case "$s" in
    .got*|.plt*|.dynamic|.dynsym|.dynstr|.rela*|.interp|.hash|.gnu.hash|.tdata|.tbss|\
    .init_array|.fini_array|.preinit_array|.ctors|.dtors|.eh_frame*)
      fail "unexpected section $s" ;;
  esac
done
[ "$(secdec .bss)" -eq 0 ] || fail ".bss is not empty"
relocs=$("${cross}readelf" -rW "$elf")
echo "$relocs" | grep -q "There are no relocations" || fail "ELF has dynamic relocations"

# ---- instructions -----------------------------------------------------------
# Canonical (no-aliases) mnemonics of RV64I, M, C (no F/D), Zba, Zbb, Zbs, Zknh.
allowed="
lui auipc jal jalr beq bne blt bge bltu bgeu lb lh lw ld lbu lhu lwu sb sh sw sd
addi slti sltiu xori ori andi slli srli srai add sub sll slt sltu xor srl sra or and
addiw slliw srliw sraiw addw subw sllw srlw sraw fence ecall
mul mulh mulhsu mulhu div divu rem remu mulw divw divuw remw remuw
c.addi4spn c.lw c.ld c.sw c.sd c.nop c.addi c.addiw c.li c.addi16sp c.lui
c.srli c.srai c.andi c.sub c.xor c.or c.and c.subw c.addw c.j c.beqz c.bnez
c.slli c.lwsp c.ldsp c.jr c.mv c.jalr c.add c.swsp c.sdsp c.unimp
sh1add sh2add sh3add add.uw sh1add.uw sh2add.uw sh3add.uw slli.uw
andn orn xnor clz ctz cpop sext.b sext.h clzw ctzw cpopw min minu max maxu zext.h
rol ror rori rolw rorw roriw orc.b rev8
bset bclr binv bext bseti bclri binvi bexti
sha256sum0 sha256sum1 sha256sig0 sha256sig1 sha512sum0 sha512sum1 sha512sig0 sha512sig1
"
dis=$("${cross}objdump" -d -M no-aliases -j .text "$elf")
bad=$(echo "$dis" | awk -F'\t' -v allowed="$allowed" '
  BEGIN { n = split(allowed, a, /[ \n]+/); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
  /^ *[0-9a-f]+:\t/ {
    m = $3; sub(/ .*/, "", m)
    if (!(m in ok)) print $1 " " $3 " " $4
  }')
[ -z "$bad" ] || fail "instructions outside RV64IMC+Zba+Zbb+Zbs+Zknh:
$bad"
gpuse=$(echo "$dis" | awk -F'\t' '/^ *[0-9a-f]+:\t/ && $4 ~ /(^|[,(])(gp|tp)([,)]|$)/ { print $1 " " $3 " " $4 }')
[ -z "$gpuse" ] || fail "gp/tp used (both are 0 in ThruVM):
$gpuse"

# ---- summary ----------------------------------------------------------------------
text=$(secdec .text)
rodata=$(secdec .rodata)
data=$(secdec .data)
ninsn=$(echo "$dis" | grep -cE '^ *[0-9a-f]+:'$'\t' || true)
if [ "$data" -ne 0 ]; then
  echo "thru-check-image: $name: note: .data has $data bytes; it is read-only at run time" >&2
fi
printf 'thru-check-image: %s OK: %d bytes (text %d, rodata %d, data %d; %d instructions)\n' \
  "$name" "$size" "$text" "$rodata" "$data" "$ninsn"
