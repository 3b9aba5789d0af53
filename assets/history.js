/* Glimpse: the page reads its deep link (?model=…&sample=…) once, when it loads. Back and
   forward change the address without a load, so reload to show the view the address names. */
window.addEventListener('popstate', function () { window.location.reload(); });
