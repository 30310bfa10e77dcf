/* serialize_json.h: a small, strict JSON reader for file headers
 * (safetensors). It builds a tree, limits depth and size, and reports the
 * byte position of the first error. Not a general JSON library: no writer
 * (headers are written with snprintf), no streaming. */
#ifndef TSH_SERIALIZE_JSON_H
#define TSH_SERIALIZE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tsh_json_type {
    TSH_JSON_NULL,
    TSH_JSON_BOOL,
    TSH_JSON_NUM,
    TSH_JSON_STR,
    TSH_JSON_ARR,
    TSH_JSON_OBJ,
} tsh_json_type;

typedef struct tsh_json {
    tsh_json_type type;
    bool b;
    bool is_int;          /* a number written without fraction or exponent that fits int64 */
    int64_t i;
    double num;
    char *str;            /* decoded string (NUL-terminated; may hold NULs, see len) */
    size_t len;
    char *key;            /* the member name, for a member of an object */
    size_t keylen;
    int n;                /* number of children (array items or object members) */
    struct tsh_json *child, *next;
} tsh_json;

/* Parses text[0..n) as one JSON value (surrounding whitespace allowed).
 * On failure returns NULL and writes a message (with the byte offset) to err. */
tsh_json *tsh_json_parse(const char *text, size_t n, char *err, size_t errlen);
void tsh_json_free(tsh_json *j);
/* The member of an object named key, or NULL. */
tsh_json *tsh_json_get(const tsh_json *obj, const char *key);
const char *tsh_json_type_name(tsh_json_type t);

#endif
