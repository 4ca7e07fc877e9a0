/* `vmbench image`: build, refresh or show the cached guest image. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vm/image.h"
#include "base/util.h"

static void
print_image(const struct vmb_image *img)
{
    printf("  key       %s\n  image     %s\n  manifest  %s\n"
           "  contents  %zu files, %.1f MiB\n",
           img->key, img->path, img->manifest, img->nfiles,
           (double)img->bytes / (1 << 20));
}

int
vmb_cmd_image(int argc, char **argv, struct vmb_error **err)
{
    if (argc < 2 || (strcmp(argv[1], "build") != 0 &&
                     strcmp(argv[1], "show") != 0))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "image: expected \"build\" or \"show\" (see "
                             "vmbench image --help)");
    bool build = strcmp(argv[1], "build") == 0;
    struct vmb_image_opts opts = {0};
    static const struct option longopts[] = {
        {"force", no_argument, NULL, 'f'},
        {"cache", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "+", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            opts.force = true;
            break;
        case 'c':
            opts.cache_dir = optarg;
            break;
        default:
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "image %s: unknown option \"%s\"", argv[1],
                                 (argv + 1)[optind - 1]);
        }
    }
    if (optind < argc - 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "image %s: unexpected argument \"%s\"", argv[1],
                             argv[optind + 1]);
    if (opts.force && !build)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "image show: --force only applies to build");

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
            printf("building guest image (libguestfs appliance under TCG: "
                   "about a minute)...\n");
    } else {
        printf("rebuilding guest image (libguestfs appliance under TCG: "
               "about a minute)...\n");
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
