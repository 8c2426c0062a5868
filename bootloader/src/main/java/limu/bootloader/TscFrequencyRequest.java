// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * TSC Frequency: {@code response { u64 revision; u64 frequency; }}, the frequency in Hz of the timestamp counter
 * (on x86 the TSC). limu's TSC is virtual and runs at exactly the rate the emulator hands over in
 * {@link BootOptions#tscHz()} (the one CPUID leaves 0x15 and 0x16 report too), so the answer is exact, not a
 * calibration; like Limine, no rate known means no response.
 */
final class TscFrequencyRequest extends LimineRequest {
    TscFrequencyRequest() {
        super("TSC frequency", 0x10f2ee1d87d195e4L, 0xf747a2b78f6ddb31L);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        if (context.machine().tscHz() <= 0) {
            return OptionalLong.empty();
        }
        long response = context.allocateResponse(16, "the TSC frequency response");
        context.writeU64(response + 8, context.machine().tscHz());
        return OptionalLong.of(response);
    }

    @Override
    String unansweredReason(BootContext context) {
        return "the machine's TSC rate is not known";
    }
}
