/*
 * A cell's Kata settings as TOML: every string value stays one TOML
 * string whatever bytes it holds, checked by a real TOML parser
 * (Python's tomllib) reading the fragment back.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"
#include "config/kata.h"

/* Parses toml with tomllib and prints [hypervisor.qemu]'s key, or
 * "INVALID". */
static char *
toml_get(const char *toml, const char *key)
{
    char path[] = "/tmp/vmb-kata-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, toml, strlen(toml)), (ssize_t)strlen(toml));
    close(fd);
    autofree char *cmd =
        vmb_xasprintf("python3 -c 'import sys, tomllib\n"
                      "try:\n"
                      "    d = tomllib.load(open(sys.argv[1], \"rb\"))\n"
                      "except Exception as e:\n"
                      "    print(\"INVALID\", e); sys.exit(0)\n"
                      "sys.stdout.write(repr(d[\"hypervisor\"][\"qemu\"].get("
                      "sys.argv[2], \"MISSING\")))' "
                      "%s %s",
                      path, key);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char out[1024];
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    pclose(f);
    unlink(path);
    return vmb_xstrdup(out);
}

Test(kata, string_values_stay_one_toml_string, .timeout = 30)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    free(cfg.hypervisor.machine);
    cfg.hypervisor.machine = vmb_xstrdup("q35\nenable_debug = true");
    free(cfg.hypervisor.emulator);
    cfg.hypervisor.emulator = vmb_xstrdup("/opt/q\"emu\\bin\t\x7f");
    struct vmb_buf b = {0};
    vmb_kata_render(&cfg, &b);
    autofree char *machine = toml_get(b.data, "machine_type");
    cr_assert_str_eq(machine, "'q35\\nenable_debug = true'", "%s", b.data);
    autofree char *debug = toml_get(b.data, "enable_debug");
    cr_assert_null(strstr(debug, "True"), "a value added a key:\n%s", b.data);
    autofree char *path = toml_get(b.data, "path");
    cr_assert_str_eq(path, "'/opt/q\"emu\\\\bin\\t\\x7f'", "%s", b.data);
    vmb_buf_free(&b);
    vmb_config_free(&cfg);
}
