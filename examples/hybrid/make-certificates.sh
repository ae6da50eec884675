#!/usr/bin/env bash
# Regenerates the test certificates of the contoso hybrid example (see README.md in this folder):
# a root CA, the intermediates "Contoso Test TLS CA-1" and "CA-2", leaf A (CA-1, 2026-01-10 to 2027-01-10),
# leaf B (CA-2, the renewal, 2026-11-20 to 2027-11-20) and the self-signed certificates that
# Exchange setup makes for EX01 and EX02.
#
#   examples/hybrid/make-certificates.sh [--update-examples] [OUTDIR]   (default OUTDIR: ./contoso-test-certificates)
#
# OUTDIR gets each certificate as DER (*.cer) and certificates.json: per certificate the values the
# state documents carry, in Exchange's forms (Subject/Issuer most specific first as .NET writes them,
# Thumbprint as upper-case SHA-1 hex, RawData as base64 DER, dates as ISO 8601 UTC and as the
# milliseconds of Windows PowerShell 5.1's "\/Date(ms)\/").
#
# --update-examples also puts the new certificates into state-before-renewal.json and state-after-renewal.json
# beside this script: each certificate there is matched by Subject and Issuer, and its Thumbprint and RawData
# (the only values that change; names and dates are fixed here) are replaced in the text, so the files keep
# their formatting. It needs node.
#
# The private keys live in a temporary directory that is deleted on exit: they are never written to
# OUTDIR, so nothing here can leak a key into the repository. Needs OpenSSL 1.1.1 or later (openssl ca
# -rand_serial) and GNU date.
set -euo pipefail

update=0
if [[ ${1:-} == --update-examples ]]; then
  update=1
  shift
fi
out="${1:-./contoso-test-certificates}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir "$work/newcerts"
: >"$work/index.txt"
cat >"$work/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir              = $work
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
serial           = \$dir/serial
default_md       = sha256
policy           = any_name
# Keep the subject in the request's order; openssl ca would otherwise reorder it by the policy.
preserve         = yes
unique_subject   = no
copy_extensions  = none
email_in_dn      = no

[ any_name ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
commonName             = supplied

[ root ]
basicConstraints       = critical, CA:true
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ intermediate ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ mail ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:mail.contoso.com, DNS:autodiscover.contoso.com

[ ex01 ]
basicConstraints       = CA:false
keyUsage               = digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
subjectAltName         = DNS:EX01, DNS:EX01.contoso.local

[ ex02 ]
basicConstraints       = CA:false
keyUsage               = digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
subjectAltName         = DNS:EX02, DNS:EX02.contoso.local
EOF

# issue NAME SUBJECT EXTENSIONS START END [ISSUER]: a new key and a certificate; without ISSUER it is self-signed.
issue() {
  local name=$1 subject=$2 extensions=$3 start=$4 end=$5 issuer=${6:-}
  openssl req -new -newkey rsa:2048 -nodes -keyout "$work/$name.key" -subj "$subject" -out "$work/$name.csr" 2>/dev/null
  local signer=(-selfsign -keyfile "$work/$name.key")
  [[ -n $issuer ]] && signer=(-cert "$work/$issuer.pem" -keyfile "$work/$issuer.key")
  openssl ca -batch -notext -rand_serial -config "$work/ca.cnf" -extensions "$extensions" \
    -startdate "$start" -enddate "$end" "${signer[@]}" -in "$work/$name.csr" -out "$work/$name.pem" 2>/dev/null
  openssl x509 -in "$work/$name.pem" -outform DER -out "$out/$name.cer"
}

issue root "/C=US/O=Contoso Test PKI/CN=Contoso Test Root CA" root 20240101000000Z 20440101000000Z
issue ca1 "/C=US/O=Contoso Test PKI/CN=Contoso Test TLS CA-1" intermediate 20240601000000Z 20340601000000Z root
issue ca2 "/C=US/O=Contoso Test PKI/CN=Contoso Test TLS CA-2" intermediate 20260601000000Z 20360601000000Z root
issue leaf-a "/C=US/ST=Washington/L=Redmond/O=Contoso Ltd/CN=mail.contoso.com" mail 20260110000000Z 20270110235959Z ca1
issue leaf-b "/C=US/ST=Washington/L=Redmond/O=Contoso Ltd/CN=mail.contoso.com" mail 20261120000000Z 20271120235959Z ca2
issue ex01 "/CN=EX01" ex01 20240301090000Z 20290301090000Z
issue ex02 "/CN=EX02" ex02 20240301091500Z 20290301091500Z

# .NET (and so Exchange) writes a name most specific first, ", "-separated, with S= for stateOrProvinceName.
dotnet_name() {
  openssl x509 -inform DER -in "$1" -noout "-$2" -nameopt esc_2253,utf8,sep_comma_plus_space,dn_rev,sname |
    sed -e "s/^$2=//" -e 's/\bST=/S=/'
}
utc() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
epoch_ms() { echo "$(($(date -u -d "$1" +%s) * 1000))"; }

{
  echo "{"
  first=1
  for name in root ca1 ca2 leaf-a leaf-b ex01 ex02; do
    der="$out/$name.cer"
    not_before="$(openssl x509 -inform DER -in "$der" -noout -startdate | cut -d= -f2)"
    not_after="$(openssl x509 -inform DER -in "$der" -noout -enddate | cut -d= -f2)"
    thumbprint="$(openssl x509 -inform DER -in "$der" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d : | tr a-f A-F)"
    [[ $first == 1 ]] || echo ","
    first=0
    printf '  "%s": {\n' "$name"
    printf '    "Subject": "%s",\n' "$(dotnet_name "$der" subject)"
    printf '    "Issuer": "%s",\n' "$(dotnet_name "$der" issuer)"
    printf '    "Thumbprint": "%s",\n' "$thumbprint"
    printf '    "NotBefore": "%s",\n    "NotBeforeMs": %s,\n' "$(utc "$not_before")" "$(epoch_ms "$not_before")"
    printf '    "NotAfter": "%s",\n    "NotAfterMs": %s,\n' "$(utc "$not_after")" "$(epoch_ms "$not_after")"
    printf '    "RawData": "%s"\n  }' "$(base64 -w0 "$der")"
  done
  echo
  echo "}"
} >"$out/certificates.json"

echo "certificates written to $out (DER *.cer and certificates.json); no private key was kept"

if [[ $update == 1 ]]; then
  here="$(cd "$(dirname "$0")" && pwd)"
  node - "$out/certificates.json" "$here/state-before-renewal.json" "$here/state-after-renewal.json" <<'JS'
const fs = require("node:fs");
const [certificatesFile, ...documents] = process.argv.slice(2);
const fresh = Object.values(JSON.parse(fs.readFileSync(certificatesFile, "utf8")));
for (const file of documents) {
  let text = fs.readFileSync(file, "utf8");
  for (const old of JSON.parse(text).onPremises.exchangeCertificates) {
    const now = fresh.find((c) => c.Subject === old.Subject && c.Issuer === old.Issuer);
    if (now === undefined) throw new Error(`${file}: no new certificate for ${old.Subject} from ${old.Issuer}`);
    text = text.split(old.Thumbprint).join(now.Thumbprint).split(old.RawData).join(now.RawData);
  }
  fs.writeFileSync(file, text);
  console.log(`updated ${file}`);
}
JS
fi
