/* Glimpse: ← / → move to the previous / next sample (they click the prev/next buttons).
   Keys typed into a field, a dropdown, a slider or the sample table are left alone. */
(function () {
  var SKIP = 'input, textarea, select, [contenteditable="true"], [role="combobox"], [role="listbox"], ' +
             '[role="slider"], .dash-dropdown, .rc-slider, .dash-slider, .dash-spreadsheet';
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    var el = document.activeElement;
    if (el && el !== document.body && el.closest && el.closest(SKIP)) return;
    if (e.target && e.target.closest && e.target.closest(SKIP)) return;
    var btn = document.getElementById(e.key === 'ArrowLeft' ? 'sample-prev' : 'sample-next');
    if (btn && !btn.disabled && btn.offsetParent !== null) {
      e.preventDefault();
      btn.click();
    }
  });
})();
