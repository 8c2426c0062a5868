// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The TSC frequency and entropy requests of the newest specification, at byte level. */
class NewestRequestsTest {
    static final long[] TSC_FREQUENCY = {0x10f2ee1d87d195e4L, 0xf747a2b78f6ddb31L};
    static final long[] ENTROPY = {0x65ea80255d5682c5L, 0x9117240723f493ebL};
    static final long[] FLANTERM = {0x3259399fe7c5f126L, 0xe01c1c8c5db9d1a9L};

    private static Booted boot(TestKernel k, TestMachine machine) throws BootException {
        return Booted.boot(k.build(), machine);
    }

    @Test
    void tscFrequencyIsTheVirtualTscRate() throws Exception {
        TestKernel k = new TestKernel();
        long request = k.request(TSC_FREQUENCY, 0);
        Booted b = boot(k, Booted.config(64 * MIB));
        long response = b.response(request);
        assertEquals(0, b.ram().u64(response), "response revision 0");
        assertEquals(1_000_000_000L, b.ram().u64(response + 8), "1 GHz");
        assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(response));
        assertTrue(b.plan().answeredRequests().contains("TSC frequency"));

        Booted other = boot(k, Booted.config(64 * MIB).tscHz(2_500_000_000L));
        assertEquals(2_500_000_000L, other.ram().u64(other.response(request) + 8));
    }

    @Test
    void anUnknownTscRateLeavesTheRequestUnanswered() throws Exception {
        TestKernel k = new TestKernel();
        long request = k.request(TSC_FREQUENCY, 0);
        Booted b = boot(k, Booted.config(64 * MIB).tscHz(0));
        assertEquals(-1, b.response(request));
        assertTrue(b.plan().ignoredRequests().get(0).startsWith("TSC frequency request at "));
    }

    @Test
    void entropyGivesTheCountAskedForFromTheSeededGenerator() throws Exception {
        TestKernel k = new TestKernel();
        long request = k.request(ENTROPY, 0, 5);
        Booted b = boot(k, Booted.config(64 * MIB).entropySeed(42));
        long response = b.response(request);
        assertEquals(0, b.ram().u64(response));
        assertEquals(5, b.ram().u64(response + 8), "value_count");
        long values = b.fromHhdm(b.ram().u64(response + 16));
        assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(values));
        byte[] bytes = b.ram().bytes(values, 40);
        java.util.SplittableRandom expected = new java.util.SplittableRandom(42);
        for (int i = 0; i < 5; i++) {
            assertEquals(expected.nextLong(), LittleEndian.u64(bytes, 8 * i), "value " + i);
        }
        // Same seed, same bytes; another seed, other bytes.
        Booted again = boot(k, Booted.config(64 * MIB).entropySeed(42));
        long againValues = again.fromHhdm(again.ram().u64(again.response(request) + 16));
        assertArrayEquals(bytes, again.ram().bytes(againValues, 40));
        Booted other = boot(k, Booted.config(64 * MIB).entropySeed(43));
        long otherValues = other.fromHhdm(other.ram().u64(other.response(request) + 16));
        assertFalse(java.util.Arrays.equals(bytes, other.ram().bytes(otherValues, 40)));
    }

    @Test
    void entropyCountIsCappedAndZeroGivesANullArray() throws Exception {
        TestKernel k = new TestKernel();
        long huge = k.request(ENTROPY, 0, -1L);
        Booted b = boot(k, Booted.config(64 * MIB));
        long response = b.response(huge);
        assertEquals(EntropyRequest.MAX_VALUES, b.ram().u64(response + 8));
        assertNotEquals(0, b.ram().u64(response + 16));

        TestKernel none = new TestKernel();
        long zero = none.request(ENTROPY, 0, 0);
        Booted z = boot(none, Booted.config(64 * MIB));
        assertEquals(0, z.ram().u64(z.response(zero) + 8));
        assertEquals(0, z.ram().u64(z.response(zero) + 16), "values = 0 when value_count is 0");
    }

    @Test
    void flantermParametersStayUnansweredAndSaySo() throws Exception {
        TestKernel k = new TestKernel();
        long request = k.request(FLANTERM, 0);
        Booted b = boot(k, Booted.config(64 * MIB));
        assertEquals(-1, b.response(request));
        assertTrue(b.plan().ignoredRequests().get(0).startsWith("flanterm framebuffer parameters request at"),
                b.plan().ignoredRequests().toString());
    }
}
