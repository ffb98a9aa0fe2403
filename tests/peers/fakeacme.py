#!/usr/bin/env python3
"""A scripted ACME server for the behaviours no real CA shows on demand.

Usage: fakeacme.py MODE PORT TLS_CERT TLS_KEY PKI_DIR LOG

Serves https://localhost:PORT/dir with just enough RFC 8555 for
s2sguard-reissue: nonces, newAccount, newOrder (one authorization per
ordered identifier, already valid, "*.NAME" as NAME with "wildcard": true), finalize (issues from the CSR with PKI_DIR's inter-both CA, or
inter-server in mode serveronly), polling and download. It does not check
signatures: it is a misbehaving peer, not a CA. Every request is appended
to LOG as one JSON line (method, path, decoded payload, protected header).

Modes:
  ok            behave
  notjson       the directory is HTML
  huge          the directory is 10 MB of JSON whitespace
  nolocation    newOrder answers 201 without Location
  stuck         the order stays "processing" (Retry-After: 1)
  mismatch      the certificate is PKI_DIR/leaf-both.fullchain.pem, whatever the CSR
  serveronly    issue under inter-server (EKU serverAuth only)
  ari           directory with renewalInfo and profiles classic/tlsclient;
                the first newOrder with "replaces" gets alreadyReplaced
  invalidprofile  newOrder is refused with invalidProfile
  ratelimit     the first newOrder gets 429 rateLimited, Retry-After: 1
  busy          the first directory GET gets 503 with Retry-After: 1
  hostileident  the first authorization is pending, with an http-01 challenge,
                for the identifier "xmpp.example.test$(id)\nevil"
  otherident    the first authorization is valid, for "other.example.test"
  casefold      the order is pending until its authorizations were fetched;
                they name the ordered identifiers in upper case
"""
import base64, datetime, json, os, ssl, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

MODE, PORT, TLS_CERT, TLS_KEY, PKI, LOG = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
BASE = "https://localhost:%d" % PORT
state = {"nonce": 0, "orders": 0, "cert": None, "finalized": False, "profile": None,
         "identifiers": []}
lock = threading.Lock()


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def directory():
    d = {"newNonce": BASE + "/nonce", "newAccount": BASE + "/acct",
         "newOrder": BASE + "/order-new", "revokeCert": BASE + "/revoke",
         "meta": {"termsOfService": BASE + "/tos"}}
    if MODE in ("ari", "invalidprofile"):
        d["renewalInfo"] = BASE + "/ari"
        d["meta"]["profiles"] = {"classic": "the default", "tlsclient": "with clientAuth"}
    return d


def issue(csr_der):
    issuer = "inter-server" if MODE == "serveronly" else "inter-both"
    ca = x509.load_pem_x509_certificate(open(os.path.join(PKI, issuer + ".pem"), "rb").read())
    ca_key = serialization.load_pem_private_key(
        open(os.path.join(PKI, issuer + ".key"), "rb").read(), None)
    csr = x509.load_der_x509_csr(csr_der)
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca.subject)
            .public_key(csr.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), False)
            .sign(ca_key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM) +
            ca.public_bytes(serialization.Encoding.PEM)).decode()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        with lock:
            state["nonce"] += 1
            self.send_header("Replay-Nonce", "nonce-%d" % state["nonce"])
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def problem(self, code, typ, detail, headers=()):
        self.send(code, {"type": "urn:ietf:params:acme:error:" + typ, "detail": detail,
                         "status": code}, "application/problem+json", headers)

    def do_HEAD(self):
        self.send(200, b"")

    def do_GET(self):
        if self.path == "/dir":
            with lock:
                state["dirs"] = state.get("dirs", 0) + 1
                first = state["dirs"] == 1
            if MODE == "busy" and first:
                return self.problem(503, "serverInternal", "down for maintenance",
                                    [("Retry-After", "1")])
            if MODE == "notjson":
                return self.send(200, "<html><body>Maintenance</body></html>", "text/html")
            if MODE == "huge":
                body = json.dumps(directory()).encode()
                return self.send(200, b" " * (10 * 1024 * 1024) + body)
            return self.send(200, directory())
        if self.path == "/nonce":
            return self.send(200, b"")
        self.send(404, b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        jws = json.loads(self.rfile.read(n))
        prot = json.loads(b64d(jws["protected"]))
        payload = json.loads(b64d(jws["payload"])) if jws["payload"] else None
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "protected": prot, "payload": payload}) + "\n")
        getattr(self, "post_" + self.path.strip("/").split("/")[0].replace("-", "_"),
                lambda p: self.send(404, b""))(payload)

    def post_acct(self, p):
        self.send(201, {"status": "valid"}, headers=[("Location", BASE + "/acct/1")])

    def post_order_new(self, p):
        with lock:
            state["orders"] += 1
            first = state["orders"] == 1
        if MODE == "ratelimit" and first:
            return self.problem(429, "rateLimited", "too many new orders recently",
                                [("Retry-After", "1")])
        if MODE == "invalidprofile":
            return self.problem(400, "invalidProfile", "profile %r is not available for this account"
                                % p.get("profile"))
        if MODE == "ari" and "replaces" in p:
            return self.problem(409, "alreadyReplaced", "certificate %s already has a replacement order"
                                % p["replaces"])
        state["profile"] = p.get("profile")
        state["identifiers"] = [i.get("value", "") for i in p.get("identifiers", [])]
        headers = [] if MODE == "nolocation" else [("Location", BASE + "/order/1")]
        self.send(201, self.order(), headers=headers)

    def order(self):
        ids = state["identifiers"] or ["x"]
        o = {"status": "ready", "identifiers": [{"type": "dns", "value": v} for v in ids],
             "authorizations": [BASE + "/authz/%d" % i for i in range(len(ids))],
             "finalize": BASE + "/finalize/1"}
        if MODE in ("hostileident", "otherident") or (MODE == "casefold" and
                                                      not state.get("authz_seen")):
            o["status"] = "pending"
        if state["profile"]:
            o["profile"] = state["profile"]
        if state["finalized"]:
            o["status"] = "processing" if MODE == "stuck" or not state["cert"] else "valid"
            if o["status"] == "valid":
                o["certificate"] = BASE + "/cert/1"
        return o

    def post_authz(self, p):
        i = int(self.path.rsplit("/", 1)[1])
        ids = state["identifiers"] or ["x"]
        value = ids[i] if i < len(ids) else "x"
        a = {"status": "valid", "identifier": {"type": "dns", "value": value}, "challenges": []}
        if value.startswith("*."):
            a["identifier"]["value"] = value[2:]
            a["wildcard"] = True
        if MODE == "casefold":
            a["identifier"]["value"] = a["identifier"]["value"].upper()
            state["authz_seen"] = True
        if i == 0 and MODE == "otherident":
            a["identifier"]["value"] = "other.example.test"
        if i == 0 and MODE == "hostileident":
            a["status"] = "pending"
            a["identifier"]["value"] = "xmpp.example.test$(id)\nevil"
            a["challenges"] = [{"type": "http-01", "url": BASE + "/chall/1", "status": "pending",
                                "token": "hostile-token_0123456789abcdefghij"}]
        self.send(200, a)

    def post_finalize(self, p):
        der = b64d(p["csr"])
        if MODE == "mismatch":
            state["cert"] = open(os.path.join(PKI, "leaf-both.fullchain.pem")).read()
        else:
            state["cert"] = issue(der)
        state["finalized"] = True
        self.send(200, self.order(), headers=[("Location", BASE + "/order/1")])

    def post_order(self, p):
        self.send(200, self.order(), headers=[("Retry-After", "1")])

    def post_cert(self, p):
        self.send(200, state["cert"], "application/pem-certificate-chain")


srv = ThreadingHTTPServer(("127.0.0.1", PORT), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(TLS_CERT, TLS_KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
