/*
 * Where each control's and VM cell's nodes ran (hosts:, docs/remote.md):
 * one whose node 2 ran on another host replicated across a network, not
 * over loopback or one host's bridge, and its node 2's process figures
 * were not sampled.
 */
#include <string.h>

#include "report/report_priv.h"

void
vmb_sections_placement(struct vmb_doc *d, const struct vmb_model *m,
                       const struct vmb_charts *cs,
                       const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    const struct vmb_results *r = m->res;
    bool any = false;
    for (size_t i = 0; i < r->ncontrols; i++) {
        const struct vmb_res_cell *c = &r->controls[i];
        const char *node2 = vmb_res_cell_option(c, "hosts.control_node2");
        if (node2 == NULL || node2[0] == '\0')
            continue;
        if (!any) {
            vmb_doc_note_begin(d);
            vmb_doc_strong(d, "Nodes on two hosts.");
            any = true;
        }
        vmb_doc_text(d, " Control ");
        vmb_doc_code(d, c->id);
        vmb_doc_text(d, " (");
        vmb_doc_text(d, c->label ? c->label : "?");
        vmb_doc_text(d, "): node 1 ran on ");
        vmb_doc_code(d, vmb_results_hostname_of(r, c));
        vmb_doc_text(d, " beside the load generator, node 2 on ");
        vmb_doc_code(d, node2);
        vmb_doc_text(d, ".");
    }
    bool vm = false;
    for (size_t i = 0; i < r->ncells; i++) {
        const struct vmb_res_cell *c = &r->cells[i];
        const char *node2 = vmb_res_cell_option(c, "hosts.vm_node2");
        if (node2 == NULL || node2[0] == '\0')
            continue;
        if (!any) {
            vmb_doc_note_begin(d);
            vmb_doc_strong(d, "Nodes on two hosts.");
            any = true;
        }
        vm = true;
        vmb_doc_text(d, " Cell ");
        vmb_doc_code(d, c->id);
        vmb_doc_text(d, " (");
        vmb_doc_text(d, c->label ? c->label : "?");
        vmb_doc_text(d, "): node 1's VM ran on ");
        vmb_doc_code(d, vmb_results_hostname_of(r, c));
        vmb_doc_text(d, " beside the load generator, node 2's on ");
        vmb_doc_code(d, node2);
        vmb_doc_text(d, ".");
    }
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
