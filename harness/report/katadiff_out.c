#include "report/katadiff_out.h"

#include <stdlib.h>

#include "base/jsonw.h"
#include "base/util.h"

static void
print_value(FILE *out, const char *side, const char *v)
{
    if (v == NULL) {
        fprintf(out, "%s: none", side);
        return;
    }
    char *s = vmb_term_safe(v);
    fprintf(out, "%s: \"%s\"", side, s);
    free(s);
}

static void
print_item(const struct vmb_kdiff_item *it, FILE *out)
{
    /* The aspect names a device or kernel parameter of the file. */
    char *aspect = vmb_term_safe(it->aspect);
    fprintf(out, "%-9s %s", vmb_kdiff_status_name(it->status), aspect);
    free(aspect);
    if (it->status == VMB_KDIFF_NOT_SHOWN) {
        fprintf(out, "\n          ");
        print_value(out, "cell", it->cell);
        fprintf(out, "\n");
        return;
    }
    if (it->status == VMB_KDIFF_MATCH) {
        char *s = vmb_term_safe(it->kata ? it->kata : "");
        fprintf(out, ": \"%s\"\n", s);
        free(s);
        return;
    }
    fprintf(out, "\n          ");
    print_value(out, "kata", it->kata);
    fprintf(out, "; ");
    print_value(out, "cell", it->cell);
    fprintf(out, "\n          %s",
            it->performance ? "performance-relevant"
                            : "not performance-relevant");
    if (it->note)
        fprintf(out, " (%s)", it->note);
    if (it->knob)
        fprintf(out, "; kata knob: %s", it->knob);
    fprintf(out, "\n");
}

void
vmb_kdiff_print(const struct vmb_kdiff *d, const char *kata, const char *cell,
                FILE *out)
{
    char *k = vmb_term_safe(kata), *c = vmb_term_safe(cell);
    fprintf(out, "kata: %s\ncell: %s\n", k, c);
    free(k);
    free(c);
    if (d->kata_missing)
        fprintf(out,
                "note: the Kata command line has no %s, which every Kata "
                "command line has; it looks cut off, and what it does not "
                "show is marked not-shown\n",
                d->kata_missing);
    fprintf(out, "\n");
    /* Differences that matter first, then the rest, then what a cut-off
     * line does not show, matches last. */
    for (int pass = 0; pass < 4; pass++)
        for (size_t i = 0; i < d->n; i++) {
            const struct vmb_kdiff_item *it = &d->items[i];
            int want = it->status == VMB_KDIFF_MATCH       ? 3
                       : it->status == VMB_KDIFF_NOT_SHOWN ? 2
                       : it->performance                   ? 0
                                                           : 1;
            if (want == pass)
                print_item(it, out);
        }
    size_t n = vmb_kdiff_performance_differences(d);
    fprintf(out, "\n%zu performance-relevant difference%s\n", n,
            n == 1 ? "" : "s");
}

char *
vmb_kdiff_json(const struct vmb_kdiff *d, const char *kata, const char *cell)
{
    struct vmb_jw w;
    vmb_jw_init(&w, true);
    vmb_jw_obj_begin(&w);
    vmb_jw_kstr(&w, "kata", kata);
    vmb_jw_kstr(&w, "cell", cell);
    vmb_jw_kstr(&w, "kata_missing", d->kata_missing);
    vmb_jw_kuint(&w, "performance_differences",
                 vmb_kdiff_performance_differences(d));
    vmb_jw_key(&w, "aspects");
    vmb_jw_arr_begin(&w);
    for (size_t i = 0; i < d->n; i++) {
        const struct vmb_kdiff_item *it = &d->items[i];
        vmb_jw_obj_begin(&w);
        vmb_jw_kstr(&w, "aspect", it->aspect);
        vmb_jw_kstr(&w, "status", vmb_kdiff_status_name(it->status));
        vmb_jw_kstr(&w, "kata_value", it->kata);
        vmb_jw_kstr(&w, "cell_value", it->cell);
        vmb_jw_kstr(&w, "knob", it->knob);
        vmb_jw_kbool(&w, "performance", it->performance);
        vmb_jw_kstr(&w, "note", it->note);
        vmb_jw_obj_end(&w);
    }
    vmb_jw_arr_end(&w);
    vmb_jw_obj_end(&w);
    return vmb_jw_steal(&w);
}
