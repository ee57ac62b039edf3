#include "guarded_run.hpp"

#include <exception>

namespace lab {

int run_guarded(Report& report, const std::string& report_path, const std::function<int()>& command, std::ostream& out,
                std::ostream& err)
{
    int rc = 1;
    try {
        rc = command();
    } catch (const std::exception& e) {
        report.fail("lab.internal_error", std::string("uncaught exception: ") + e.what());
        rc = 1;
    } catch (...) {
        report.fail("lab.internal_error", "uncaught exception of unknown type");
        rc = 1;
    }
    if (rc == 0 && !report.passed()) {
        rc = 1;
    }
    try {
        report.print(out);
    } catch (const std::exception& e) {
        err << "fadump-lab: cannot print the report: " << e.what() << "\n";
    }
    if (!report_path.empty()) {
        std::string error;
        bool written = false;
        try {
            written = write_report(report, report_path, &error);
        } catch (const std::exception& e) {
            error = "cannot write the report " + report_path + ": " + e.what();
        }
        if (!written) {
            err << "fadump-lab: " << error << "\n";
            return EXIT_REPORT_NOT_WRITTEN;
        }
    }
    return rc;
}

}  // namespace lab
