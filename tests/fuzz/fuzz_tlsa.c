/*
 * libFuzzer target: arbitrary bytes as TLSA rdata (what a DNS answer
 * carries) and as presentation text (what an operator types). Whatever
 * parses must print, and the printed text must parse back to the same
 * record. Nothing may crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "tlsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct tlsa_record *rec)
{
	struct tlsa_record again;
	struct s2s_err err;
	char *text = tlsa_record_text_new(rec);

	if (text == NULL)
		abort();
	/* text refuses digests of the wrong length; rdata may carry them */
	if ((rec->mtype == TLSA_MATCH_SHA256 && rec->len != 32) ||
	    (rec->mtype == TLSA_MATCH_SHA512 && rec->len != 64)) {
		mem_free(text);
		return;
	}
	if (tlsa_record_from_text(text, &again, &err) != 0 || !tlsa_record_equal(rec, &again))
		abort();
	tlsa_record_clear(&again);
	mem_free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsa_record rec;
	struct s2s_err err;
	char *text;

	if (tlsa_record_from_rdata(data, size, &rec, &err) == 0) {
		roundtrip(&rec);
		tlsa_record_clear(&rec);
	}
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (tlsa_record_from_text(text, &rec, &err) == 0) {
		roundtrip(&rec);
		tlsa_record_clear(&rec);
	}
	free(text);
	return 0;
}
