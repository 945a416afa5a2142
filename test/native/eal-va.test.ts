// The EAL's memory window (native/eal/va_window.c): DPDK's memseg lists stay
// low in the address space, below a 39-bit IOMMU, even when something already
// sits at DPDK's default base, as V8's heap pages often do inside Node.
// test/native/eal_va_test.c, built by CMakeLists.txt, runs a live
// rte_eal_init (hugepages when the host has them, else --no-huge).
import { builtTest } from '../lib/ctest';

builtTest('native EAL: the memory window', 'eal_va_test');
