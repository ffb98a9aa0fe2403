# tests/peers/fakeacme.sh: start tests/peers/fakeacme.py, a scripted ACME
# server for misbehaviour no real CA shows on demand (see its docstring for
# the modes). Source after tests/lib.sh.
#
#   fakeacme_start MODE
#       Sets FAKE_DIR (the directory URL), FAKE_TLS_CA (trust for its HTTPS),
#       FAKE_LOG (one JSON line per POST: path, protected header, payload).
#       Issues under the test PKI ($(pki)): verify with --ca-file $(pki)/root.pem.
fakeacme_start() {
	need_cmd python3 openssl
	python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"
	_fw=$T/fake-$1
	mkdir -p "$_fw"
	[ -f "$T/fake-tls.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 30 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$T/fake-tls.key" -out "$T/fake-tls.pem" 2>/dev/null
	_fp=$(free_port)
	FAKE_LOG=$_fw/requests.jsonl
	: > "$FAKE_LOG"
	python3 "$TOP/tests/peers/fakeacme.py" "$1" "$_fp" "$T/fake-tls.pem" "$T/fake-tls.key" \
		"$(pki)" "$FAKE_LOG" > "$_fw/fakeacme.log" 2>&1 &
	_fpid=$!
	at_exit "kill $_fpid"
	wait_port "$_fp" 20 || fail "fakeacme did not start"
	FAKE_DIR=https://localhost:$_fp/dir
	FAKE_TLS_CA=$T/fake-tls.pem
}
