/* Output helpers shared by the commands: JSON printing, short times, progress bars. */
#ifndef JG_OUTPUT_H
#define JG_OUTPUT_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

void out_json(json_t *j);				/* indented, newline */
/* "14:07:19" for today, "11-20 14:07" otherwise, "-" for null; into buf. */
const char *out_time(json_t *rfc3339, char *buf, size_t len);
/* "[#####-----]  50% 10/20" of width cells. */
void out_bar(FILE *f, long long done, long long total, int width);
bool out_tty(FILE *f);
/* Rows (an array of arrays of strings) as columns padded to their widest cell, the header
 * (ncols names, or NULL for none) included, two spaces apart; the last column unpadded. */
void out_table(const char *const *header, size_t ncols, json_t *rows);
#endif
