/* What qcmd.c and qcmd_json.c share; not for other modules. */
#ifndef VMB_QCMD_PRIV_H
#define VMB_QCMD_PRIV_H

#include "base/qcmd.h"

/* Appends key=val to o's properties, taking both strings. */
void vmb_qcmd_add_prop(struct vmb_qopt *o, char *key, char *val);

/* Reads arg, a JSON object, into o; -1 when it does not parse. */
int vmb_qcmd_parse_json(struct vmb_qopt *o, const char *arg);

#endif
