/** @odoo-module **/
/* The homeroom teacher digitises the paper records of her class of a past year: she opens
 * the class, opens "Import Paper Records" from its action menu, uploads a CSV of results and
 * a zip of scans, gets the rejected rows back for a wrong score, uploads the corrected file
 * and gets the draft records. test_extract_import.py starts the tour in
 * Vietnamese and in English; the selectors avoid labels but for the menu item, given in both
 * languages. */

import { registry } from "@web/core/registry";

const HEADER = "SODINHDANH,HOVATEN,SOSODANGBO,TEPBANQUET,TOAN,NGUVAN,GDTC,CANAM,RENLUYENCANAM";
const MAI = '001312000022,Hoàng Thị Mai,35/2023,mai.pdf,9,"8,5",Đ,T,T';

function csvFile(name, ducMath) {
    const duc = `001212000021,Phạm Minh Đức,12/2023,duc.pdf,"${ducMath}",8,Đ,K,T`;
    return new File([[HEADER, duc, MAI].join("\r\n")], name, { type: "text/csv" });
}

function crc32(bytes) {
    let crc = 0xffffffff;
    for (const byte of bytes) {
        crc ^= byte;
        for (let bit = 0; bit < 8; bit++) {
            crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
        }
    }
    return (crc ^ 0xffffffff) >>> 0;
}

/* A zip of stored (uncompressed) files: the browser has no zip writer, and the scans of the
 * test are a few bytes each. */
function storedZip(files) {
    const encoder = new TextEncoder();
    const parts = [];
    const directory = [];
    let offset = 0;
    for (const [name, text] of Object.entries(files)) {
        const nameBytes = encoder.encode(name);
        const data = encoder.encode(text);
        const crc = crc32(data);
        const local = new DataView(new ArrayBuffer(30));
        local.setUint32(0, 0x04034b50, true);
        local.setUint16(4, 20, true);
        local.setUint16(6, 0x0800, true); // UTF-8 names
        local.setUint16(12, 0x21, true); // 1980-01-01
        local.setUint32(14, crc, true);
        local.setUint32(18, data.length, true);
        local.setUint32(22, data.length, true);
        local.setUint16(26, nameBytes.length, true);
        parts.push(new Uint8Array(local.buffer), nameBytes, data);
        const entry = new DataView(new ArrayBuffer(46));
        entry.setUint32(0, 0x02014b50, true);
        entry.setUint16(4, 20, true);
        entry.setUint16(6, 20, true);
        entry.setUint16(8, 0x0800, true);
        entry.setUint16(14, 0x21, true);
        entry.setUint32(16, crc, true);
        entry.setUint32(20, data.length, true);
        entry.setUint32(24, data.length, true);
        entry.setUint16(28, nameBytes.length, true);
        entry.setUint32(42, offset, true);
        directory.push(new Uint8Array(entry.buffer), nameBytes);
        offset += 30 + nameBytes.length + data.length;
    }
    const size = directory.reduce((total, part) => total + part.length, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, directory.length / 2, true);
    end.setUint16(10, directory.length / 2, true);
    end.setUint32(12, size, true);
    end.setUint32(16, offset, true);
    return [...parts, ...directory, new Uint8Array(end.buffer)];
}

/* What choosing a file in the file dialog does: the field's input gets it and changes. */
function chooseFile(selector, file) {
    const input = document.querySelector(selector);
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

registry.category("web_tour.tours").add("hocbaso_extract_import", {
    steps: () => [
        {
            content: "the class of a past year: its action menu",
            trigger: ".o_form_view .o_cp_action_menus i.fa-cog",
            run: "click",
        },
        {
            trigger:
                ".o-dropdown--menu .o_menu_item:contains(Import Paper Records), " +
                ".o-dropdown--menu .o_menu_item:contains(Nhập học bạ giấy)",
            run: "click",
        },
        {
            content: "the template of the class can be downloaded",
            trigger: ".modal footer button[name=action_download_template]",
        },
        {
            content: "the results, one row per student, with a mistake: 11 in mathematics",
            trigger: ".modal div[name=sheet_file]",
            run() {
                const file = csvFile("trich_luc_6B.csv", "11");
                chooseFile(".modal div[name=sheet_file] input[type=file]", file);
            },
        },
        {
            content: "the scans, named in the rows",
            trigger: ".modal div[name=sheet_file] input[type=text]",
            run() {
                const zip = storedZip({
                    "duc.pdf": "%PDF-1.4 hoc ba giay Pham Minh Duc",
                    "mai.pdf": "%PDF-1.4 hoc ba giay Hoang Thi Mai",
                });
                const file = new File(zip, "ban_quet.zip", { type: "application/zip" });
                chooseFile(".modal div[name=scans_file] input[type=file]", file);
            },
        },
        {
            trigger: ".modal div[name=scans_file] input[type=text]",
        },
        {
            content: "check and import",
            trigger: ".modal footer button[name=action_import]",
            run: "click",
        },
        {
            content: "nothing imported: the rejected rows are offered for download",
            trigger:
                ".modal .o_hocbaso_extract_rejected div[name=rejected_file] " +
                "a:contains(trich_luc_6B_bi_tu_choi.xlsx)",
        },
        {
            content: "the corrected file",
            trigger: ".modal div[name=sheet_file]",
            run() {
                const file = csvFile("trich_luc_6B_sua.csv", "7,5");
                chooseFile(".modal div[name=sheet_file] input[type=file]", file);
            },
        },
        {
            trigger: ".modal div[name=sheet_file] input[type=text]:value(trich_luc_6B_sua.csv)",
        },
        {
            content: "check and import again",
            trigger: ".modal footer button[name=action_import]",
            run: "click",
        },
        {
            content: "the draft records of the class, digitised from paper",
            trigger: ".o_list_view .o_data_row:contains(Hoàng Thị Mai)",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Phạm Minh Đức)",
        },
    ],
});
