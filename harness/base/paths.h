/*
 * Where vmbench finds the files it ships (the plots' templates, the
 * guest agent): in an installed tree, relative to the running binary;
 * run from its build directory, in the build or source tree.
 */
#ifndef VMB_PATHS_H
#define VMB_PATHS_H

/*
 * The directory of one kind of shipped file: $env when it is set and not
 * empty; else rel, taken from the directory of the running binary
 * (/proc/self/exe), when that directory exists, as it does in an
 * installed tree (bin/ and ../share/vmbench/plots); else fallback, the
 * build or source tree the binary was built from. Does not check that
 * the chosen directory exists. Caller frees.
 */
char *vmb_shipped_dir(const char *env, const char *rel, const char *fallback);

#endif
