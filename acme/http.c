/*
 * http.c: libcurl transfers for the ACME client; see http.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "mem.h"

struct sink {
	struct http_resp	*resp;
	size_t			 max;
	size_t			 cap;
	int			 too_big;
	int			 failed;
};

static size_t
sink_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	struct http_resp *r = s->resp;
	size_t n = size * nmemb;
	char *p;

	if (n > s->max || r->len > s->max - n) {
		s->too_big = 1;
		return 0;
	}
	if (r->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < r->len + n + 1)
			cap *= 2;
		if ((p = mem_realloc(r->body, cap)) == NULL) {
			s->failed = 1;
			return 0;
		}
		r->body = p;
		s->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

int
http_client_init(struct http_client *h, const char *ca_file,
    struct deadline deadline, struct s2s_err *err)
{
	memset(h, 0, sizeof(*h));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(err, S2S_ENOMEM, "cannot initialise libcurl");
	if ((h->curl = curl_easy_init()) == NULL)
		return err_set(err, S2S_ENOMEM, "cannot initialise libcurl");
	if (ca_file != NULL && (h->ca_file = mem_strdup(ca_file)) == NULL) {
		http_client_cleanup(h);
		return err_set(err, S2S_ENOMEM, "out of memory");
	}
	h->deadline = deadline;
	h->max_body = HTTP_MAX_BODY;
	snprintf(h->user_agent, sizeof(h->user_agent), "s2sguard-reissue/%s %s",
	    S2S_VERSION, curl_version_info(CURLVERSION_NOW)->version);
	return 0;
}

void
http_client_cleanup(struct http_client *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	mem_free(h->ca_file);
	memset(h, 0, sizeof(*h));
}

void
http_resp_clear(struct http_resp *r)
{
	size_t i;

	mem_free(r->body);
	mem_free(r->location);
	mem_free(r->nonce);
	mem_free(r->content_type);
	for (i = 0; i < r->nalternates; i++)
		mem_free(r->alternates[i]);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

long
http_retry_after_parse(const char *v, long now)
{
	char *end;
	long secs;
	time_t t;

	if (v == NULL)
		return -1;
	while (*v == ' ')
		v++;
	if (*v >= '0' && *v <= '9') {
		secs = strtol(v, &end, 10);
		return (*end == '\0' || *end == ' ') && secs >= 0 ? secs : -1;
	}
	if ((t = curl_getdate(v, NULL)) == (time_t)-1)
		return -1;
	return t > now ? (long)(t - now) : 0;
}

static char *
header_dup(CURL *c, const char *name)
{
	struct curl_header *hd;

	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
		return NULL;
	return mem_strdup(hd->value);
}

/* One Link header value: "<url>;rel=\"alternate\", <url2>;rel=up". */
static void
links_parse(struct http_resp *r, const char *v)
{
	const char *lt, *gt, *next;

	while ((lt = strchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		next = strchr(gt, ',');
		size_t plen = next ? (size_t)(next - gt) : strlen(gt);
		char params[256];

		snprintf(params, sizeof(params), "%.*s", (int)(plen < 255 ? plen : 255), gt);
		if ((strstr(params, "rel=\"alternate\"") || strstr(params, "rel=alternate")) &&
		    r->nalternates < HTTP_MAX_ALTERNATES) {
			char *u = mem_strndup(lt + 1, (size_t)(gt - lt - 1));

			if (u != NULL)
				r->alternates[r->nalternates++] = u;
		}
		if (next == NULL)
			break;
		v = next + 1;
	}
}

static void
headers_collect(CURL *c, struct http_resp *r)
{
	struct curl_header *prev = NULL, *hd;
	char *ra;

	r->location = header_dup(c, "Location");
	r->nonce = header_dup(c, "Replay-Nonce");
	r->content_type = header_dup(c, "Content-Type");
	ra = header_dup(c, "Retry-After");
	r->retry_after = http_retry_after_parse(ra, (long)time(NULL));
	mem_free(ra);
	while ((hd = curl_easy_nextheader(c, CURLH_HEADER, -1, prev)) != NULL) {
		if (strcasecmp(hd->name, "Link") == 0)
			links_parse(r, hd->value);
		prev = hd;
	}
}

static int
curl_fail(CURLcode cc, const char *url, const char *errbuf, struct s2s_err *err)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return err_set(err, S2S_ETIMEOUT, "%s: deadline reached (%s)", url, why);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return err_set(err, S2S_ETLS, "%s: TLS failure: %s", url, why);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return err_set(err, S2S_EINVAL, "%s: only https URLs are allowed (%s)", url, why);
	default:
		return err_set(err, S2S_ENET, "%s: %s", url, why);
	}
}

static struct curl_slist *
request_setup(struct http_client *h, const char *method, const char *url,
    const char *body, struct sink *sink, char *errbuf)
{
	CURL *c = h->curl;
	struct curl_slist *hdrs = NULL;
	long left = deadline_left_ms(&h->deadline);

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left > 1 ? left : 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, left > 1 ? left : 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	if (h->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	hdrs = curl_slist_append(hdrs, "Accept-Language: en");
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "POST") == 0) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/jose+json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	return hdrs;
}

int
http_request(struct http_client *h, const char *method, const char *url,
    const char *body, struct http_resp *resp, struct s2s_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = { resp, h->max_body, 0, 0, 0 };
	struct curl_slist *hdrs;
	CURLcode cc;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	if (deadline_expired(&h->deadline))
		return err_set(err, S2S_ETIMEOUT, "%s: deadline reached before the request", url);
	if (h->fake != NULL)
		return h->fake(h->fake_arg, method, url, body, resp, err);
	hdrs = request_setup(h, method, url, body, &sink, errbuf);
	cc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (sink.too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return err_set(err, S2S_ETOOBIG, "%s: response larger than %zu bytes", url,
		    h->max_body);
	if (sink.failed)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", url);
	if (cc != CURLE_OK)
		return curl_fail(cc, url, errbuf, err);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	headers_collect(h->curl, resp);
	if (resp->body == NULL && (resp->body = mem_strdup("")) == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	return 0;
}
