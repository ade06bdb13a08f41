/** @odoo-module **/
/* The school admin creates a teacher in Staff and Roles: homeroom teacher of 6A2, teaching
 * mathematics there. Run in Vietnamese and in English: each tour checks its own labels. */

import { registry } from "@web/core/registry";

function staffSteps(labels) {
    return [
        {
            content: "the school admin's screen, in the user's language",
            trigger: `.o_breadcrumb:contains(${labels.title})`,
        },
        {
            trigger: ".o_control_panel button[name=action_hocbaso_new_staff]",
            run: "click",
        },
        {
            trigger: ".modal div[name=name] input",
            run: "edit Nguyễn Thị Hoa",
        },
        {
            trigger: ".modal div[name=login] input",
            run: "edit hoa.nguyen",
        },
        {
            content: "the roles are checkboxes named in the user's language",
            trigger: `.modal div[name=role_ids] .form-check:contains(${labels.homeroom}):not(:contains(/)) input`,
            run: "click",
        },
        {
            trigger: `.modal div[name=role_ids] .form-check:contains(${labels.homeroom}) input:checked`,
        },
        {
            trigger: ".modal div[name=homeroom_class_ids] input",
            run: "edit 6A2",
        },
        {
            trigger: ".modal div[name=homeroom_class_ids] .o-autocomplete--dropdown-item a:contains(6A2)",
            run: "click",
        },
        {
            trigger: ".modal div[name=homeroom_class_ids] .o_tag:contains(6A2)",
        },
        {
            content: "the homeroom role brings the subject one: ticked too",
            trigger: `.modal div[name=role_ids] .form-check:contains(${labels.subject_role}) input:checked`,
        },
        {
            content: "6A2 has a homeroom teacher: named, and replaced only when ticked",
            trigger: ".modal div[name=homeroom_current_teachers]:contains(gvcn_other)",
        },
        {
            trigger: ".modal div[name=replace_homeroom_teacher] input",
            run: "click",
        },
        {
            trigger: ".modal div[name=replace_homeroom_teacher] input:checked",
        },
        {
            trigger: ".modal div[name=assignment_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".modal div[name=assignment_ids] .o_data_row td[name=class_id] input",
            run: "edit 6A2",
        },
        {
            content: "the row's own class picker (not the homeroom classes' one above)",
            trigger: ".modal div[name=assignment_ids] .o_data_row td[name=class_id] .o-autocomplete--dropdown-item a:contains(6A2)",
            run: "click",
        },
        {
            content: "the class is set before the subject is looked up (its picker depends on it)",
            trigger: ".modal div[name=assignment_ids] .o_data_row td[name=class_id] input:value(6A2)",
        },
        {
            trigger: ".modal div[name=assignment_ids] .o_data_row td[name=subject_id] input",
            run: `edit ${labels.subject}`,
        },
        {
            trigger: `.modal div[name=assignment_ids] .o_data_row td[name=subject_id] .o-autocomplete--dropdown-item a:contains(${labels.subject})`,
            run: "click",
        },
        {
            content: "save, in the user's language",
            trigger: `.modal footer button[name=action_apply]:contains(${labels.save})`,
            run: "click",
        },
        {
            content: "the new teacher is listed with her role",
            trigger: `body:not(:has(.modal)) .o_data_row:contains(Nguyễn Thị Hoa) td[name=hocbaso_role_ids] .o_tag:contains(${labels.homeroom})`,
        },
        ...userMenuSteps(),
    ];
}

/* The user menu: her preferences and log out, no Odoo.com links nor onboarding switch. */
function userMenuSteps() {
    // the items' data-menu (the registry's key of "My Odoo.com account" is odoo_account)
    const removed = ["documentation", "support", "account", "'web_tour.tour_enabled'"];
    return [
        {
            content: "open the user menu",
            trigger: ".o_main_navbar .o_user_menu button",
            run: "click",
        },
        {
            content: "the school's items are there: preferences, log out",
            trigger: ".o-dropdown--menu:has(.dropdown-item[data-menu=settings]) .dropdown-item[data-menu=logout]",
            run: function () {
                const menu = document.querySelector(".o-dropdown--menu");
                for (const key of removed) {
                    if (menu.querySelector(`.dropdown-item[data-menu=${key}]`)) {
                        throw new Error(`the user menu still offers ${key}`);
                    }
                }
                if (menu.querySelector(".form-switch")) {
                    throw new Error("the user menu still offers a switch (onboarding)");
                }
            },
        },
        {
            content: "close the user menu",
            trigger: ".o_main_navbar .o_user_menu button",
            run: "click",
        },
        {
            trigger: "body:not(:has(.o-dropdown--menu .dropdown-item[data-menu=logout]))",
        },
    ];
}

registry.category("web_tour.tours").add("hocbaso_staff_roles_vi", {
    steps: () =>
        staffSteps({
            title: "Nhân sự và vai trò",
            homeroom: "Giáo viên chủ nhiệm",
            subject_role: "Giáo viên bộ môn",
            subject: "Toán",
            save: "Lưu",
        }),
});

registry.category("web_tour.tours").add("hocbaso_staff_roles_en", {
    steps: () =>
        staffSteps({
            title: "Staff and Roles",
            homeroom: "Homeroom Teacher",
            subject_role: "Subject Teacher",
            subject: "Mathematics",
            save: "Save",
        }),
});
