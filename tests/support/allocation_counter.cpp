#include "allocation_counter.h"

#include <cstdlib>
#include <new>

namespace {
long g_allocations = 0;
}

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace wgevents::testing {

long heap_allocations() { return g_allocations; }

}  // namespace wgevents::testing
