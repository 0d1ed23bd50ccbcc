// Counts heap allocations, for the tests that prove a hot path allocates nothing: linking
// wgevents_allocation_counter replaces the program's global operator new with one that counts.
// Only for programs of their own, and not under the sanitizers (AddressSanitizer owns the
// allocator there).
#pragma once

namespace wgevents::testing {

// Calls of operator new in this program so far.
long heap_allocations();

}  // namespace wgevents::testing
