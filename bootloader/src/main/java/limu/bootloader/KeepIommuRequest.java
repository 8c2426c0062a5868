// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * x86-64 Keep IOMMU: {@code response { u64 revision; }}. The machine has no IOMMU, so there is nothing to disable
 * and the request is trivially honoured.
 */
final class KeepIommuRequest extends LimineRequest {
    KeepIommuRequest() {
        super("keep IOMMU", 0x8ebaabe51f490179L, 0x2aa86a59ffb4ab0fL);
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        return OptionalLong.of(context.allocateResponse(8, "the keep IOMMU response"));
    }
}
