// Attendance form (issue 8, web/pages/attendance.rs): when a day's choice changes, the
// hours follow the usual value (3h30 for a half-day absence, 7 for a day present) unless
// someone typed other hours. Progressive enhancement: without this script the hours
// are typed by hand and the server checks them.
'use strict';
(() => {
  const DAY = '7';
  const HALF = '3h30';
  for (const select of document.querySelectorAll('form.attendance-form select[name^="jour-"]')) {
    const hours = select.form?.elements.namedItem(`heures-${select.name.slice('jour-'.length)}`);
    if (!(hours instanceof HTMLInputElement)) continue;
    select.addEventListener('change', () => {
      const typed = hours.value.trim();
      if (select.value === 'demi' && (typed === '' || typed === DAY)) hours.value = HALF;
      else if (select.value === 'present' && (typed === '' || typed === HALF)) hours.value = DAY;
    });
  }
})();
