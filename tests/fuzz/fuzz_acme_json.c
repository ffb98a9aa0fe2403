/*
 * libFuzzer target: arbitrary ACME server answers. The input is a series of
 * answers separated by "\n~~\n"; each answer's first byte picks the status
 * (200, 201, 400, 503) and whether Location is sent, the rest is the body.
 * They are fed, in order, to a whole run through the response handlers:
 * directory, profiles, newAccount, newOrder, authorizations, finalize,
 * polling, download, problem documents. Plus the account JWK and client
 * configuration parsers on the raw input. Nothing may crash, leak, hang
 * or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "account.h"
#include "acme.h"
#include "conf_kv.h"
#include "mem.h"
#include "order.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t	*p, *end;
};

static int
fake_answer(void *arg, const char *method, const char *url, const char *body,
    struct http_resp *r, struct s2s_err *err)
{
	static const long status[] = { 200, 201, 400, 503 };
	struct feed *f = arg;
	const uint8_t *sep, *start;
	size_t len;

	if (f->p >= f->end)
		return err_set(err, S2S_ENET, "%s: no more answers", url);
	start = f->p;
	sep = memmem(start, (size_t)(f->end - start), "\n~~\n", 4);
	len = sep ? (size_t)(sep - start) : (size_t)(f->end - start);
	f->p = sep ? sep + 4 : f->end;
	r->status = len > 0 ? status[start[0] & 3] : 200;
	r->retry_after = len > 0 && (start[0] & 8) ? 0 : -1;
	r->body = mem_strndup(len > 0 ? (const char *)start + 1 : "", len > 0 ? len - 1 : 0);
	r->len = strlen(r->body);
	r->nonce = mem_strdup("fuzz-nonce");
	if (len == 0 || !(start[0] & 4))
		r->location = mem_strdup("https://ca.test/obj/1");
	return 0;
}

static void
run_flow(const uint8_t *data, size_t size, EVP_PKEY *key)
{
	static const char *const names[] = { "xmpp.example.test" };
	struct feed f = { data, data + size };
	struct acme_new_account na = { 0 };
	struct order_result res;
	struct order_req req = { 0 };
	struct solver s = { 0 };
	struct s2s_err err;
	const char *send;
	char note[300], list[300];
	int created;
	struct acme a;

	if (acme_init(&a, NULL, deadline_in_ms(2000), NULL, &err) != 0)
		return;
	a.http.fake = fake_answer;
	a.http.fake_arg = &f;
	a.max_poll_ms = 0;
	a.key = key;
	if (acme_directory_get(&a, "https://ca.test/dir", &err) != 0)
		goto out;
	profile_list(a.dir, list, sizeof(list));
	if (profile_choose(a.dir, "tlsclient", 1, &send, note, sizeof(note), &err) != 0)
		send = NULL;
	na.agree_tos = 1;
	if (acme_account_register(&a, &na, &created, &err) != 0)
		goto out;
	s.deadline = a.http.deadline;
	req.names = names;
	req.nnames = 1;
	req.profile = send;
	req.replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
	req.solver = &s;
	req.cert_key = key;
	req.preferred_chain = "Fuzz Root";
	order_run(&a, &req, &res, &err);
	order_result_clear(&res);
out:
	acme_cleanup(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	struct conf_kv *kv = NULL;
	EVP_PKEY *jwk = NULL;
	struct s2s_err err;
	char *text;

	if (key == NULL && (key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return 0;
	run_flow(data, size, key);
	account_jwk_parse((const char *)data, size, "fuzz.json", &jwk, &err);
	EVP_PKEY_free(jwk);
	if ((text = mem_strndup((const char *)data, size)) != NULL) {
		if (conf_kv_parse(text, "fuzz.conf", &kv, &err) == 0)
			conf_kv_free(kv);
		http_retry_after_parse(text, 0);
		mem_free(text);
	}
	return 0;
}
