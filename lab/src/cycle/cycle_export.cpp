// PowerNV, our QEMU: QMP fadump-export on demand, while the capture kernel
// holds the MPIPL's memory and after it released it (the release is an OPAL
// call the platform never sees: skiboot clears the MDRT).
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "cycle.hpp"
#include "export_checks.hpp"

namespace fs = std::filesystem;

namespace lab {
namespace {

// The FADUMP_EXPORT_COMPLETED event for `path`, if QEMU sent it.
const nlohmann::json* completed(const std::vector<nlohmann::json>& events, const std::string& path)
{
    for (const auto& e : events) {
        if (e.value("event", "") == "FADUMP_EXPORT_COMPLETED" && e.contains("data") &&
            e["data"]["export"].value("path", "") == path) {
            return &e["data"]["export"];
        }
    }
    return nullptr;
}

}  // namespace

bool Cycle::on_demand_export_applies() const
{
    return m_plan.ours && m_plan.pnv && !m_plan.makedumpfile && !m_plan.own_disk;
}

// While /proc/vmcore is ready: both files written again into export-qmp/,
// the OPAL core equal to the one the MPIPL boot's reset wrote.
void Cycle::export_on_demand()
{
    const std::string name = "qmp.fadump_export_preserved";
    if (!on_demand_export_applies() || !ensure_qmp(10)) {
        return;
    }
    const fs::path dir = m_paths.dir / "export-qmp";
    fs::create_directories(dir);
    if (!m_qmp->execute({{"execute", "fadump-export"}, {"arguments", {{"dir", dir.string()}}}}, 30, &m_err)) {
        m_report.fail(name, "QMP fadump-export refused while the dump is preserved: " + m_err);
        return;
    }
    const std::string opal = (dir / "opalcore").string();
    const nlohmann::json* done = nullptr;
    for (int i = 0; i < 120 && done == nullptr; ++i) {
        done = completed(m_qmp->events(), opal);
        if (done == nullptr && !m_qmp->poll_events(0.5, &m_err)) {
            break;
        }
    }
    const std::string automatic = (fs::path(m_paths.export_dir) / "opalcore").string();
    std::error_code ec;
    const uint64_t bytes = fs::file_size(automatic, ec);
    if (done == nullptr || done->value("state", "") != "done") {
        m_report.fail(name, done ? "the OPAL core failed: " + done->value("reason", "")
                                 : "no FADUMP_EXPORT_COMPLETED for " + opal);
    } else if (ec || bytes != fs::file_size(opal, ec) || first_difference(automatic, opal, bytes)) {
        m_report.fail(name, "the OPAL core written on demand differs from the one written at the MPIPL boot");
    } else {
        m_report.pass(name, fmt::format("QMP fadump-export wrote {} and the OPAL core again ({} bytes, equal to the "
                                        "MPIPL boot's) while the capture kernel held the dump",
                                        fs::exists(dir / "vmcore", ec) ? "the vmcore" : "no vmcore", bytes));
    }
    fs::remove_all(dir, ec);  // 1.3 GB of sparse vmcore: the check is done
}

// Once the capture kernel released the memory (it lingers after saying so):
// an export on demand is refused, not written from memory that is no dump.
void Cycle::export_after_release()
{
    const std::string name = "qmp.fadump_export_released";
    // The capture kernel released a kernel's dump (an MPIPL of skiboot's
    // region alone releases only the OPAL core, and does not linger).
    if (!on_demand_export_applies() || !m_times.opal || m_times.opal_only ||
        !phase("released", {"FADUMP-LAB: lingering"}, {"FADUMP-LAB: release-failed", "reboot: Power down"}) ||
        !ensure_qmp(10)) {
        return;
    }
    const fs::path dir = m_paths.dir / "export-released";
    fs::create_directories(dir);
    const auto r = m_qmp->execute({{"execute", "fadump-export"}, {"arguments", {{"dir", dir.string()}}}}, 30, &m_err);
    const bool refused = !r && m_err.find("no MPIPL dump is preserved") != std::string::npos;
    std::error_code ec;
    const bool empty = fs::is_empty(dir, ec);
    m_report.expect(name, refused && empty,
                    refused && empty ? "QMP fadump-export after release_mem: refused (" + m_err + "), no file"
                                     : fmt::format("after release_mem: {}{}", r ? "accepted" : "refused: " + m_err,
                                                   empty ? "" : ", files written"));
    fs::remove_all(dir, ec);
}

}  // namespace lab
