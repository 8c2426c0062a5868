// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * A request of the protocol the machine can never answer (Limine leaves these unanswered too): the EFI features
 * on a BIOS PC, a device tree on x86, RISC-V's BSP hart ID, a TPM event log without a TPM.
 */
final class UnavailableRequest extends LimineRequest {
    private final String reason;

    UnavailableRequest(String name, long id2, long id3, String reason) {
        super(name, id2, id3);
        this.reason = reason;
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) {
        return OptionalLong.empty();
    }

    @Override
    String unansweredReason(BootContext context) {
        return reason;
    }
}
