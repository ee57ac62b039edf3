#include "text_file.hpp"

#include <fstream>
#include <iterator>

namespace lab {

std::string read_text(const std::filesystem::path& path)
{
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace lab
