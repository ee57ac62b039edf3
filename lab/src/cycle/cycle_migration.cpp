// The Cycle's migrations: the running QEMU migrates to a file and quits; a
// second QEMU with the same command line plus -incoming takes the guest over
// (its console continues the first's, its log is a second file); or the
// destination runs beside the source in postcopy. The guest, waiting on the
// state disk, is then told.
#include <fmt/format.h>

#include <fstream>

#include "cycle.hpp"
#include "cycle_internal.hpp"
#include "postcopy_migration.hpp"
#include "stop_signal.hpp"

namespace fs = std::filesystem;

namespace lab {

using cycle_internal::last_line_with;
using cycle_internal::progress;
using cycle_internal::write_lines;

namespace {

// The postcopy stream's bandwidth (bytes a second): slow enough that the
// destination's guest crashes while its RAM still arrives.
constexpr uint64_t POSTCOPY_BYTES_PER_S = 8ULL << 20;

// Whether the file at `path` holds `needle`, read in 1 MiB pieces (a
// migration stream is as large as the guest's used memory).
bool file_contains(const std::string& path, const std::string& needle)
{
    std::ifstream f(path, std::ios::binary);
    std::string window;
    std::vector<char> buf(1 << 20);
    while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0) {
        window.append(buf.data(), static_cast<size_t>(f.gcount()));
        if (window.find(needle) != std::string::npos) {
            return true;
        }
        // Keep what could be the start of a needle split across pieces.
        window.erase(0, window.size() - std::min(window.size(), needle.size() - 1));
    }
    return false;
}

}  // namespace

bool Cycle::migrate_guest()
{
    return m_plan.scenario->migrate == Migrate::Postcopy ? postcopy_guest() : migrate_to_file();
}

// The sign the guest waits for (/init host_wait): the state disk's fourth
// 16-byte block.
bool Cycle::tell_guest_migrated()
{
    std::fstream f(m_paths.state_disk, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(48);
    f << fmt::format("{:<15}\n", "migrated");
    if (!f) {
        m_report.fail("host.migrate", "cannot write the state disk " + m_paths.state_disk);
    }
    return static_cast<bool>(f);
}

// The scenario's postcopy migration (postcopy_migration.hpp): the
// destination runs beside the source, which serves the pages it has not
// received yet until the run ends; the lab's QMP session moves to it.
bool Cycle::postcopy_guest()
{
    const double t0 = m_child->elapsed();
    progress("migrating the guest to a second QEMU with postcopy through " + m_paths.migration_socket);
    if (!ensure_qmp(10)) {
        m_report.fail("host.migrate", m_err);
        return false;
    }
    m_qemu_logs.push_back(m_paths.dir / "qemu-guest-errors-destination.log");
    const std::string uri = "unix:" + m_paths.migration_socket;
    const PostcopyPlan plan{postcopy_destination_argv(m_argv, m_paths.dest_qmp, m_qemu_logs.back().string(), uri),
                            m_paths.dest_qmp, uri, POSTCOPY_BYTES_PER_S};
    write_lines(m_paths.dir / "qemu-command-destination.txt", plan.argv);
    auto dest = migrate_postcopy(*m_child, *m_qmp, plan, m_opt.timeout_s, &m_err);
    if (!dest) {
        m_report.fail("host.migrate", "postcopy: " + m_err);
        return false;
    }
    m_qmp.emplace(std::move(*dest));
    m_paths.qmp = m_paths.dest_qmp;
    if (!tell_guest_migrated()) {
        return false;
    }
    m_report.phases["migration_switch"] = m_child->elapsed() - t0;
    m_report.pass("host.migrated", fmt::format("the destination QEMU ran the guest in postcopy {:.2f} s after the "
                                               "migration began; the source serves its missing pages",
                                               m_child->elapsed() - t0));
    return true;
}

// query-migrate until the migration that began at `t0` ends; false (a
// failed check) unless it completed.
bool Cycle::wait_migration_completed(double t0)
{
    std::string status;
    while (m_child->elapsed() - t0 < m_opt.timeout_s && stop_signal() == 0) {
        const auto q = m_qmp->execute({{"execute", "query-migrate"}}, 30, &m_err);
        status = q ? q->value("status", "") : "query-migrate: " + m_err;
        if (!q || status == "completed" || status == "failed" || status == "cancelled") {
            if (q && status != "completed") {
                status += ": " + q->value("error-desc", std::string("no reason given"));
            }
            break;
        }
        m_child->wait_for({}, {}, 0.2);  // keep the console flowing
    }
    if (status != "completed") {
        m_report.fail("host.migrate", "the migration did not complete: " + status);
        return false;
    }
    return true;
}

// The destination QEMU, loading `stream`, until it runs the guest; false (a
// failed check) when it does not start or exits.
bool Cycle::start_destination(const std::string& stream)
{
    const double t_start = m_child->elapsed();
    m_qemu_logs.push_back(m_paths.dir / "qemu-guest-errors-destination.log");
    auto dest = destination_argv(m_argv, m_qemu_logs.back().string(), "");
    dest.insert(dest.end(), {"-incoming", "file:" + stream});
    write_lines(m_paths.dir / "qemu-command-destination.txt", dest);
    if (!m_child->continue_with(dest, &m_err)) {
        m_report.fail("host.migrate", "cannot start the destination QEMU: " + m_err);
        return false;
    }
    std::string status;
    while (m_child->elapsed() - t_start < m_opt.timeout_s && stop_signal() == 0) {
        int st = 0;
        if (m_child->wait_exit(0, &st)) {
            status = fmt::format("the destination QEMU exited (status {}): {}", st,
                                 last_line_with(m_child->lines(), "qemu-system-ppc64:"));
            break;
        }
        if (!ensure_qmp(1)) {
            continue;
        }
        const auto q = m_qmp->execute({{"execute", "query-status"}}, 30, &m_err);
        if (q && q->value("status", "") == "running") {
            status = "running";
            break;
        }
        m_child->wait_for({}, {}, 0.2);
    }
    if (status != "running") {
        m_report.fail("host.migrate", status.empty() ? "the destination QEMU did not start running" : status);
        return false;
    }
    return true;
}

// The migration through a file: save, quit the source, the destination
// loads it; the stream must carry our dump state.
bool Cycle::migrate_to_file()
{
    const std::string stream = (m_paths.dir / "migration-stream").string();
    const double t0 = m_child->elapsed();
    progress("migrating the guest to a second QEMU through " + stream);
    if (!qmp_execute(nlohmann::json{{"execute", "migrate"}, {"arguments", {{"uri", "file:" + stream}}}}.dump()) ||
        !wait_migration_completed(t0)) {
        return false;
    }
    const double t_saved = m_child->elapsed();
    qmp_execute(R"({"execute":"quit"})");
    m_qmp.reset();
    int exit_status = 0;
    if (!m_child->wait_exit(30, &exit_status) && !m_child->stop(m_opt.stop_grace_s)) {
        m_report.fail("host.migrate", "the source QEMU did not exit after quit");
        return false;
    }
    std::error_code size_ec;
    const uint64_t stream_bytes = fs::file_size(stream, size_ec);
    if (m_plan.ours) {
        const bool carried = file_contains(stream, "spapr/fadump");
        m_report.expect("host.migration_carries_fadump", carried,
                        carried ? "the stream holds the subsection spapr/fadump (the registration or active dump)"
                                : "the stream has no spapr/fadump subsection: the dump state was not sent");
    }
    if (!start_destination(stream) || !tell_guest_migrated()) {
        return false;
    }
    const double t_done = m_child->elapsed();
    m_report.phases["migration_save"] = t_saved - t0;
    m_report.phases["migration_load"] = t_done - t_saved;
    m_report.facts["migration_stream_bytes"] = stream_bytes;
    m_report.pass("host.migrated",
                  fmt::format("{:.1f} MiB stream saved in {:.2f} s; the destination QEMU ran the "
                              "guest {:.2f} s later",
                              static_cast<double>(stream_bytes) / (1 << 20), t_saved - t0, t_done - t_saved));
    if (!m_opt.keep) {
        std::error_code ec;
        fs::remove(stream, ec);
    }
    return true;
}

}  // namespace lab
