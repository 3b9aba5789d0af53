/* Glimpse: refuse a file over the upload limit in the browser, with a message.

   A dropzone's content carries data-max-bytes (GLIMPSE_MAX_UPLOAD_MB). A file over it is
   stopped before dcc.Upload reads it (reading a 200 MB file as base64 crashed the tab) and
   the page says why. Listeners on window in the capture phase run before React's. */
(function () {
  function limitOf(target) {
    var zone = target && target.closest ? target.closest('.dropzone') : null;
    var holder = zone ? zone.querySelector('[data-max-bytes]') : null;
    return holder ? Number(holder.getAttribute('data-max-bytes')) : 0;
  }

  function tooLarge(files, limit) {
    for (var i = 0; files && i < files.length; i++) {
      if (limit > 0 && files[i].size > limit) return files[i];
    }
    return null;
  }

  function refuse(event, file, limit) {
    event.stopImmediatePropagation();
    event.preventDefault();
    var mb = function (n) { return (n / 1048576).toFixed(n >= 10485760 ? 0 : 1) + ' MB'; };
    var text = file.name + ' is ' + mb(file.size) + '; the upload limit is ' + mb(limit) +
      ' (GLIMPSE_MAX_UPLOAD_MB). Choose a smaller file.';
    if (window.glimpseShowError) { window.glimpseShowError(text); } else { window.alert(text); }
  }

  window.addEventListener('change', function (event) {
    var input = event.target;
    if (!input || input.type !== 'file') return;
    var limit = limitOf(input), file = tooLarge(input.files, limit);
    if (file) { refuse(event, file, limit); input.value = ''; }
  }, true);

  window.addEventListener('drop', function (event) {
    var limit = limitOf(event.target);
    var file = tooLarge(event.dataTransfer && event.dataTransfer.files, limit);
    if (file) refuse(event, file, limit);
  }, true);
})();
