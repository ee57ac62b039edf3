// The engine's C boundary (capi.cpp): the handle types behind the C API's
// opaque pointers, over the helpers every C boundary shares (c_boundary.hpp).
#pragma once

#include "c_boundary.hpp"
#include "fadump/opal/mpipl.hpp"
#include "fadump/papr/spapr_fadump.hpp"
#include "fadump/vcpu.hpp"

struct FadumpSpapr {
    fadump::papr::SpaprFadump engine;
};

struct FadumpMpipl {
    fadump::opal::Mpipl engine;
};
