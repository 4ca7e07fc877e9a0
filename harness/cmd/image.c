/* `vmbench image`: build, refresh or show the cached guest image. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "cli.h"
#include "db/db.h"
#include "runtime/runtime.h"
#include "vm/image.h"
#include "vm/initramfs.h"

const char vmb_usage_image[] =
    "usage: vmbench image build [--force] [--cache DIR] [--engine NAME]\n"
    "       vmbench image show [--cache DIR] [--engine NAME]\n\n"
    "The container VMs boot a root disk made from this host's database\n"
    "binaries (redis-server, redis-cli), a few tools (sh, cat, ls, sleep,\n"
    "sync) and every shared library they load, plus a minimal /etc. It is\n"
    "built once (mke2fs -d from a staged tree: seconds, nothing boots)\n"
    "and cached under DIR/<key>/ (root.qcow2, manifest.json), the key a\n"
    "hash of everything that went in: when the host's packages change, the\n"
    "next build makes a new image. VMs get copy-on-write overlays of it.\n\n"
    "  build          build the image unless the cache has it; says which\n"
    "  show           print the key, the paths of the image and of the guest\n"
    "                 agent, and whether the image is built\n"
    "  --force        rebuild even when cached, replacing it\n"
    "  --cache DIR    cache directory (default /var/cache/vmbench/images)\n"
    "  --engine NAME  the image of database.engine NAME: the database\n"
    "                 engines (redis, postgres, mariadb) share one; fio has\n"
    "                 its own (fio and the libraries it links), which a\n"
    "                 database's VMs never carry (default redis)\n";

enum {
    OPT_FORCE = 256,
    OPT_CACHE,
    OPT_ENGINE,
};

static const struct option longopts[] = {
    {"force", no_argument, NULL, OPT_FORCE},
    {"cache", required_argument, NULL, OPT_CACHE},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {NULL, 0, NULL, 0},
};

static void
print_image(const struct vmb_image *img)
{
    printf("  key       %s\n  image     %s\n  manifest  %s\n"
           "  contents  %zu files, %.1f MiB\n",
           img->key, img->path, img->manifest, img->nfiles,
           (double)img->bytes / (1 << 20));
    /* The image's companion: the agent goes into the initramfs at boot. */
    autofree char *agent = vmb_guest_program("vmb-agent");
    printf("  agent     %s%s\n", agent,
           access(agent, X_OK) == 0 ? "" : " (missing: set VMB_GUEST_DIR)");
}

int
vmb_cmd_image(int argc, char **argv, struct vmb_error **err)
{
    const char *action = NULL;
    struct vmb_image_opts opts = {
        .packages = vmb_runtime_image_packages(VMB_ENGINE_REDIS)};
    struct vmb_cli_parse args = {.cmd = "image", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        switch (opt) {
        case OPT_FORCE:
            opts.force = true;
            break;
        case OPT_CACHE:
            opts.cache_dir = args.arg;
            break;
        case OPT_ENGINE: {
            size_t d = 0;
            while (vmb_db_drivers[d] != NULL &&
                   strcmp(vmb_db_drivers[d]->name, args.arg) != 0)
                d++;
            if (vmb_db_drivers[d] == NULL)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "--engine \"%s\" is not a database "
                                     "engine; see `vmbench image --help`",
                                     args.arg);
            opts.packages =
                vmb_runtime_image_packages(vmb_db_drivers[d]->engine);
            break;
        }
        case VMB_CLI_WORD:
            if (action != NULL)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "unexpected argument \"%s\"; see "
                                     "`vmbench image --help`",
                                     args.arg);
            if (strcmp(args.arg, "build") != 0 && strcmp(args.arg, "show") != 0)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "expected \"build\" or \"show\", got "
                                     "\"%s\"; see `vmbench image --help`",
                                     args.arg);
            action = args.arg;
            break;
        }
    }
    if (opt < 0)
        return -1;
    if (action == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "expected \"build\" or \"show\"; see `vmbench "
                             "image --help`");
    bool build = strcmp(action, "build") == 0;
    if (opts.force && !build)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--force only applies to build, not show");

    struct vmb_image img;
    if (!build) {
        bool cached = false;
        if (vmb_image_probe(&opts, &img, &cached, err) < 0)
            return -1;
        printf("guest image %s: %s\n", img.key,
               cached ? "cached" : "not built yet (vmbench image build)");
        print_image(&img);
        vmb_image_clear(&img);
        return 0;
    }
    if (!opts.force) {
        bool cached = false;
        if (vmb_image_probe(&opts, &img, &cached, err) < 0)
            return -1;
        vmb_image_clear(&img);
        if (!cached)
            printf("building guest image...\n");
    } else {
        printf("rebuilding guest image...\n");
    }
    fflush(stdout);
    if (vmb_image_ensure(&opts, &img, err) < 0)
        return -1;
    if (img.replaced)
        printf("guest image %s rebuilt in %.1f s, replacing the cached one\n",
               img.key, img.build_s);
    else if (img.built)
        printf("guest image %s built in %.1f s\n", img.key, img.build_s);
    else
        printf("guest image %s is up to date in the cache; nothing built "
               "(--force rebuilds it)\n",
               img.key);
    print_image(&img);
    vmb_image_clear(&img);
    return 0;
}
