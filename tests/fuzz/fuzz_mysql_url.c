/*
 * libFuzzer target over the mysql:// URL parser (vmb_mysql_target_parse):
 * any byte string must either be read or fail with an input error, never
 * crash or leak (run under ASan); a URL that is read names the MySQL
 * protocol, and its name for messages is one line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/mysql.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = malloc(size + 1);
    if (url == NULL)
        return 0;
    memcpy(url, data, size);
    url[size] = '\0';
    struct vmb_load_target t;
    struct vmb_error *err = NULL;
    if (vmb_mysql_target_parse(url, &t, &err) < 0) {
        if (err == NULL || err->kind != VMB_ERR_INPUT)
            abort(); /* a refusal must be an input error */
        vmb_error_free(err);
        free(url);
        return 0;
    }
    if (t.proto != &vmb_mysql_proto || strchr(t.name, '\n') != NULL)
        abort();
    free(url);
    return 0;
}
