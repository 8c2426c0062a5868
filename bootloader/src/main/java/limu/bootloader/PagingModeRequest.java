// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * Paging Mode: {@code request { ...; u64 mode; u64 max_mode (rev 1); u64 min_mode (rev 1); }},
 * {@code response { u64 revision; u64 mode; }}; 0 = 4-level, 1 = 5-level.
 * <p>
 * The choice follows Limine: start from {@code mode}, clamp it to what the machine
 * offers (4-level always, 5-level if {@link BootOptions#fiveLevelPaging()}), then to
 * the kernel's {@code [min_mode, max_mode]} (revision 0: {@code [0, mode]}); a range
 * that cannot be met is an error.
 */
final class PagingModeRequest extends LimineRequest {
    static final long FOUR_LEVEL = 0;
    static final long FIVE_LEVEL = 1;

    PagingModeRequest() {
        super("paging mode", 0x95c1a0edab0944cbL, 0xa4e5cb3842f7488aL);
    }

    @Override
    long size(long revision) {
        return Limine.REQUEST_EXTRAS + (revision != 0 ? 24 : 8);
    }

    @Override
    void prepare(FoundRequest request, BootSetup setup) throws BootException {
        long target = request.u64(Limine.REQUEST_EXTRAS);
        long kernelMax = target;
        long kernelMin = FOUR_LEVEL;
        if (request.revision() != 0) {
            kernelMax = request.u64(Limine.REQUEST_EXTRAS + 8);
            kernelMin = request.u64(Limine.REQUEST_EXTRAS + 16);
        }
        long machineMax = setup.fiveLevelAvailable() ? FIVE_LEVEL : FOUR_LEVEL;
        long machineMin = FOUR_LEVEL;
        long mode = target;
        if (Long.compareUnsigned(mode, machineMax) > 0) {
            mode = machineMax;
        }
        String prefix = setup.fileName() + ": paging mode request: ";
        if (Long.compareUnsigned(kernelMax, kernelMin) < 0) {
            throw new BootException(prefix + "max_mode " + kernelMax + " is lower than min_mode " + kernelMin);
        }
        if (Long.compareUnsigned(mode, kernelMax) > 0) {
            mode = kernelMax;
        }
        if (Long.compareUnsigned(mode, kernelMin) < 0) {
            if (Long.compareUnsigned(kernelMin, machineMax) > 0) {
                throw new BootException(prefix + "the kernel needs " + modeName(kernelMin)
                        + " (min_mode " + Long.toUnsignedString(kernelMin) + ") but the machine offers at most "
                        + modeName(machineMax) + (setup.fiveLevelAvailable() ? "" : " (enable 5-level paging)"));
            }
            mode = kernelMin;
        }
        if (Long.compareUnsigned(mode, machineMin) < 0) {
            mode = machineMin;
        }
        setup.pagingLevels(mode == FIVE_LEVEL ? 5 : 4);
    }

    private static String modeName(long mode) {
        return mode == FOUR_LEVEL ? "4-level paging" : mode == FIVE_LEVEL ? "5-level paging"
                : "paging mode " + Long.toUnsignedString(mode);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        long response = context.allocateResponse(16, "the paging mode response");
        context.writeU64(response + 8, context.pagingLevels() == 5 ? FIVE_LEVEL : FOUR_LEVEL);
        return OptionalLong.of(response);
    }
}
