/*
 * Where each control's and VM cell's nodes ran (hosts:, docs/remote.md):
 * one whose node 2 ran on another host replicated across a network, not
 * over loopback or one host's bridge, and its node 2's process figures
 * were not sampled.
 */
#include <string.h>

#include "report/report_priv.h"

/* The kinds of cell that may place node 2 on another host. */
static const struct {
    const char *option; /* the host of node 2 */
    const char *what;   /* "Control", "Cell" */
    const char *node1;  /* "node 1", "node 1's VM" */
    const char *node2;
} kinds[] = {
    {"hosts.control_node2", "Control", "node 1", "node 2"},
    {"hosts.vm_node2", "Cell", "node 1's VM", "node 2's"},
};

/* One line per cell of kind k whose node 2 ran elsewhere; *any opens the
 * note at the first. Returns whether there was one. */
static bool
say_cells(struct vmb_doc *d, const struct vmb_results *r, size_t k,
          const struct vmb_res_cell *cells, size_t n, bool *any)
{
    bool said = false;
    for (size_t i = 0; i < n; i++) {
        const struct vmb_res_cell *c = &cells[i];
        const char *node2 = vmb_res_cell_option(c, kinds[k].option);
        if (node2 == NULL || node2[0] == '\0')
            continue;
        if (!*any) {
            vmb_doc_note_begin(d);
            vmb_doc_strong(d, "Nodes on two hosts.");
            *any = true;
        }
        said = true;
        vmb_doc_text(d, " ");
        vmb_doc_text(d, kinds[k].what);
        vmb_doc_text(d, " ");
        vmb_doc_code(d, c->id);
        vmb_doc_text(d, " (");
        vmb_doc_text(d, c->label ? c->label : "?");
        vmb_doc_text(d, "): ");
        vmb_doc_text(d, kinds[k].node1);
        vmb_doc_text(d, " ran on ");
        vmb_doc_code(d, vmb_results_hostname_of(r, c));
        vmb_doc_text(d, " beside the load generator, ");
        vmb_doc_text(d, kinds[k].node2);
        vmb_doc_text(d, " on ");
        vmb_doc_code(d, node2);
        vmb_doc_text(d, ".");
    }
    return said;
}

void
vmb_sections_placement(struct vmb_doc *d, const struct vmb_model *m,
                       const struct vmb_charts *cs,
                       const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    const struct vmb_results *r = m->res;
    bool any = false;
    say_cells(d, r, 0, r->controls, r->ncontrols, &any);
    bool vm = say_cells(d, r, 1, r->cells, r->ncells, &any);
    if (!any)
        return;
    vmb_doc_text(d, " Replication crossed the network between the hosts, "
                    "not loopback or one host's bridge; node 2's process "
                    "CPU, disk and memory there were not sampled (left "
                    "empty, not zero)");
    vmb_doc_text(d, vm ? ", its VM's counters come from libvirt there "
                         "(result.json's hosts names both hosts)."
                       : ".");
    vmb_doc_note_end(d);
}
