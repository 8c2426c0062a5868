// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * Entropy: {@code request { ...; u64 value_count; }}, {@code response { u64 revision; u64 value_count; u64 *values; }}
 * with {@code values} an HHDM pointer to {@code value_count} 64-bit values in bootloader-reclaimable memory, or 0
 * when the count is 0. The count is the one asked for, capped at {@value #MAX_VALUES} as Limine caps it.
 * <p>
 * limu is a test machine: the values come from a {@link SplittableRandom} seeded with the {@code --seed} value, so
 * the same seed gives the kernel the same bytes every run. They are not secret and must never be used as such
 * outside tests.
 */
final class EntropyRequest extends LimineRequest {
    static final int VALUE_COUNT = Limine.REQUEST_EXTRAS;
    static final long MAX_VALUES = 4096;

    EntropyRequest() {
        super("entropy", 0x65ea80255d5682c5L, 0x9117240723f493ebL);
    }

    @Override
    long size(long revision) {
        return Limine.REQUEST_EXTRAS + 8;
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long count = request.u64(VALUE_COUNT);
        if (Long.compareUnsigned(count, MAX_VALUES) > 0) {
            count = MAX_VALUES;
        }
        long response = context.allocateResponse(24, "the entropy response");
        context.writeU64(response + 8, count);
        if (count > 0) {
            long values = context.allocate(8 * count, 16, "the entropy values");
            context.write(values, values(context.machine().entropySeed(), (int) count));
            context.writeU64(response + 16, context.hhdm(values));
        }
        return OptionalLong.of(response);
    }

    /** The first {@code count} values of the generator seeded with {@code seed}, little-endian. */
    static byte[] values(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] out = new byte[8 * count];
        for (int i = 0; i < count; i++) {
            System.arraycopy(LittleEndian.u64Bytes(random.nextLong()), 0, out, 8 * i, 8);
        }
        return out;
    }
}
