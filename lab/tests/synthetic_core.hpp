// A small ELF64 little-endian ppc64 core built in memory for tests: one
// PT_NOTE (one NT_PRSTATUS per CPU, a VMCOREINFO note) and one PT_LOAD of
// whole pages. Fields are public so a test can mutate what a hostile
// capture kernel could have written before it calls bytes().
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace lab::test {

struct SyntheticCore {
    unsigned cpus = 2;
    std::string vmcoreinfo = "OSRELEASE=6.1.0-test\nPAGESIZE=65536\n";
    uint64_t load_paddr = 0;
    uint64_t load_pages = 2;  // 4 KiB pages, each filled with its index
    // Overrides of the PT_LOAD header (nullopt-like: 0 keeps the computed value).
    uint64_t load_offset_override = 0;
    uint64_t load_filesz_override = 0;
    uint16_t e_type = ET_CORE;  // ET_EXEC makes a stand-in "vmlinux" objcopy accepts

    static constexpr uint64_t PAGE = 4096;
    static constexpr size_t PRSTATUS_SIZE = 504;  // sizeof(struct elf_prstatus) on ppc64

    [[nodiscard]] std::vector<unsigned char> bytes() const
    {
        std::vector<unsigned char> notes;
        auto add_note = [&](const std::string& name, uint32_t type, const std::vector<unsigned char>& desc) {
            const auto namesz = static_cast<uint32_t>(name.size() + 1);
            const auto descsz = static_cast<uint32_t>(desc.size());
            put(notes, namesz);
            put(notes, descsz);
            put(notes, type);
            notes.insert(notes.end(), name.begin(), name.end());
            notes.push_back(0);
            notes.resize((notes.size() + 3) / 4 * 4);
            notes.insert(notes.end(), desc.begin(), desc.end());
            notes.resize((notes.size() + 3) / 4 * 4);
        };
        for (unsigned c = 0; c < cpus; ++c) {
            add_note("CORE", NT_PRSTATUS, std::vector<unsigned char>(PRSTATUS_SIZE, 0));
        }
        add_note("VMCOREINFO", 0, std::vector<unsigned char>(vmcoreinfo.begin(), vmcoreinfo.end()));

        const uint64_t phoff = sizeof(Elf64_Ehdr);
        const uint64_t notes_off = phoff + 2 * sizeof(Elf64_Phdr);
        const uint64_t load_off = (notes_off + notes.size() + PAGE - 1) / PAGE * PAGE;

        Elf64_Ehdr eh{};
        std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        eh.e_type = e_type;
        eh.e_machine = EM_PPC64;
        eh.e_version = EV_CURRENT;
        eh.e_phoff = phoff;
        eh.e_ehsize = sizeof(Elf64_Ehdr);
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = 2;

        Elf64_Phdr note{};
        note.p_type = PT_NOTE;
        note.p_offset = notes_off;
        note.p_filesz = notes.size();
        Elf64_Phdr load{};
        load.p_type = PT_LOAD;
        load.p_flags = PF_R | PF_W | PF_X;
        load.p_offset = load_offset_override ? load_offset_override : load_off;
        load.p_paddr = load_paddr;
        load.p_vaddr = 0xc000000000000000ULL + load_paddr;
        load.p_filesz = load_filesz_override ? load_filesz_override : load_pages * PAGE;
        load.p_memsz = load_pages * PAGE;
        load.p_align = PAGE;

        std::vector<unsigned char> out(load_off + load_pages * PAGE, 0);
        std::memcpy(out.data(), &eh, sizeof eh);
        std::memcpy(out.data() + phoff, &note, sizeof note);
        std::memcpy(out.data() + phoff + sizeof note, &load, sizeof load);
        std::memcpy(out.data() + notes_off, notes.data(), notes.size());
        for (uint64_t p = 0; p < load_pages; ++p) {
            std::memset(out.data() + load_off + p * PAGE, static_cast<int>(p + 1), PAGE);
        }
        // A section header table (null, .shstrtab, .data over the PT_LOAD):
        // binutils wants sections.
        const char shstrtab[] = "\0.shstrtab\0.data";
        const uint64_t strtab_off = out.size();
        out.insert(out.end(), shstrtab, shstrtab + sizeof shstrtab);
        out.resize((out.size() + 7) / 8 * 8);
        const uint64_t shoff = out.size();
        Elf64_Shdr sh[3]{};
        sh[1].sh_name = 1;
        sh[1].sh_type = SHT_STRTAB;
        sh[1].sh_offset = strtab_off;
        sh[1].sh_size = sizeof shstrtab;
        sh[1].sh_addralign = 1;
        sh[2].sh_name = 11;
        sh[2].sh_type = SHT_PROGBITS;
        sh[2].sh_flags = SHF_ALLOC | SHF_WRITE;
        sh[2].sh_addr = load.p_vaddr;
        sh[2].sh_offset = load_off;
        sh[2].sh_size = load_pages * PAGE;
        sh[2].sh_addralign = PAGE;
        out.resize(shoff + sizeof sh);
        std::memcpy(out.data() + shoff, sh, sizeof sh);
        Elf64_Ehdr* e = reinterpret_cast<Elf64_Ehdr*>(out.data());
        e->e_shoff = shoff;
        e->e_shentsize = sizeof(Elf64_Shdr);
        e->e_shnum = 3;
        e->e_shstrndx = 1;
        return out;
    }

    void write(const std::string& path) const
    {
        const auto b = bytes();
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }

private:
    static void put(std::vector<unsigned char>& v, uint32_t x)
    {
        for (int i = 0; i < 4; ++i) {
            v.push_back(static_cast<unsigned char>(x >> (8 * i)));
        }
    }
};

}  // namespace lab::test
