/*
 * report.h: the JSON report every s2sguard binary writes, and its human
 * rendering. One object: {"s2sguard": VERSION, "tool": NAME, "time": ISO,
 * then the sections a run produced: "inspection", "probes", "dane",
 * "decision", "actions", "exit"}. Each section's shape is documented in the
 * man page of the binary that introduces it.
 */
#ifndef S2S_REPORT_H
#define S2S_REPORT_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

/* A new report object with the common header (new reference). */
json_t	*report_new(const char *tool);

/* "2026-11-27T02:40:33Z" into buf. */
void	 report_time_iso(time_t t, char *buf, size_t bufsz);

/* Split s at sep into a JSON array of non-empty strings (new reference). */
json_t	*report_split(const char *s, char sep);

/* Write the report as indented JSON plus newline; 0 or -1. */
int	 report_print_json(FILE *fp, const json_t *report);

/*
 * Render the report (JSON or text) in memory, then write it to fp at once,
 * so a failure leaves no partial output; 0 or -1.
 */
int	 report_emit(FILE *fp, const json_t *report, int as_json);

/* Human-readable rendering of the sections present in the report. */
void	 report_render_text(FILE *fp, const json_t *report);

/* Section renderers, one file each (report_*.c). */
void	 report_render_inspection(FILE *fp, const json_t *inspection);
void	 report_render_probes(FILE *fp, const json_t *probes, const json_t *summary);
void	 report_render_dane(FILE *fp, const json_t *dane);

#endif
