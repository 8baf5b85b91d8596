/*
 * build.c - the running program's build id (see build.h), read from the
 * NT_GNU_BUILD_ID note of its own ELF headers: no file is opened.
 */
#include "base/build.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static char id[2 * 64 + 1];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The notes of one PT_NOTE segment: copy the build id as hex when there is one. */
static int scan_notes(const unsigned char *p, size_t size)
{
    size_t off = 0;
    while (off + sizeof(ElfW(Nhdr)) <= size) {
        const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)(p + off);
        size_t name_at = off + sizeof(*n);
        size_t desc_at = name_at + ((n->n_namesz + 3) & ~(size_t)3);
        size_t next = desc_at + ((n->n_descsz + 3) & ~(size_t)3);
        if (next > size)
            break;
        if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
            memcmp(p + name_at, "GNU", 4) == 0 && n->n_descsz <= 64) {
            for (size_t i = 0; i < n->n_descsz; i++)
                snprintf(id + 2 * i, 3, "%02x", p[desc_at + i]);
            return 1;
        }
        off = next;
    }
    return 0;
}

/* dl_iterate_phdr calls this for the program first; stop after it. */
static int the_program(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE &&
            scan_notes((const unsigned char *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz))
            break;
    }
    return 1;
}

static void find_id(void)
{
    dl_iterate_phdr(the_program, NULL);
}

const char *pd_build_id(void)
{
    pthread_once(&once, find_id);
    return id;
}
