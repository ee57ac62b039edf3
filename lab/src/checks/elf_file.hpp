// ELF files read through elfutils' libelf: the vmcore (headers, segments,
// notes) and vmlinux (function symbols). The file is mapped read-only.
#pragma once

#include <gelf.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data_extents.hpp"

namespace lab {

struct Note {
    std::string name;
    uint32_t type;
    std::vector<unsigned char> desc;
    uint64_t desc_offset;  // file offset of desc
};

struct Segment {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct Symbol {
    uint64_t addr, size;
    std::string name;
};

class ElfFile {
public:
    /// Opens and maps `path`; nullopt with `error` set on failure.
    static std::optional<ElfFile> open(const std::string& path, std::string* error);
    ElfFile(ElfFile&& other) noexcept;
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;
    ElfFile& operator=(ElfFile&&) = delete;
    ~ElfFile();

    [[nodiscard]] const GElf_Ehdr& header() const { return m_ehdr; }
    [[nodiscard]] bool little_endian() const { return m_ehdr.e_ident[EI_DATA] == ELFDATA2LSB; }
    [[nodiscard]] const std::vector<Segment>& segments() const { return m_segments; }
    /// Every note of every PT_NOTE segment, in file order.
    [[nodiscard]] std::vector<Note> notes() const;
    /// Symbols of .symtab of one type (STT_FUNC, STT_OBJECT), sorted by address.
    [[nodiscard]] std::vector<Symbol> symbols(int type) const;
    [[nodiscard]] const unsigned char* data() const { return m_map; }
    [[nodiscard]] uint64_t size() const { return m_size; }
    /// Whether file bytes [offset, offset + len) all lie in a hole of the
    /// file (lseek SEEK_DATA/SEEK_HOLE at open), so they read as zeros
    /// without being read: a sparse vmcore's holes would otherwise fill the
    /// page cache with zero pages as they are read through the mapping.
    /// False where the file system cannot tell.
    [[nodiscard]] bool in_hole(uint64_t offset, uint64_t len) const;
    /// Copies the file to `path` as sparse as it is: its data extents
    /// (copy_file_range), holes left holes, the same size. False with
    /// `error` set when it cannot.
    [[nodiscard]] bool copy_sparse(const std::string& path, std::string* error) const;

private:
    ElfFile() = default;
    int m_fd = -1;
    Elf* m_elf = nullptr;
    unsigned char* m_map = nullptr;
    uint64_t m_size = 0;
    GElf_Ehdr m_ehdr{};
    std::vector<Segment> m_segments;
    /// The file's data extents [start, end), ascending (in_hole).
    DataExtents m_data;
};

/// Name of the function containing `addr` ("?" when none).
std::string symbolize(const std::vector<Symbol>& syms, uint64_t addr);

}  // namespace lab
