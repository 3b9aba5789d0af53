/* Glimpse: show the server's refusal or failure of a Dash callback in the page.

   A callback request that the server refuses (400: a request that does not fit this page,
   413: an upload over GLIMPSE_MAX_UPLOAD_MB, 401: sign-in needed) or fails (5xx) would otherwise just leave the page as it was. This
   wraps window.fetch, watches the answers to /_dash-update-component and shows a
   dismissable banner with the server's short message. Text only, never HTML. */
(function () {
  var original = window.fetch;
  if (!original || original.glimpseWrapped) return;
  var BANNER_ID = 'glimpse-server-error';
  var MAX_TEXT = 300;

  function show(text) {
    var banner = document.getElementById(BANNER_ID);
    if (!banner) {
      banner = document.createElement('div');
      banner.id = BANNER_ID;
      banner.className = 'alert alert-error server-error-banner';
      banner.setAttribute('role', 'alert');
      var message = document.createElement('span');
      message.className = 'server-error-text';
      var close = document.createElement('button');
      close.className = 'btn btn-small server-error-close';
      close.type = 'button';
      close.textContent = 'dismiss \u2715';
      close.setAttribute('aria-label', 'dismiss this message');
      close.addEventListener('click', function () { banner.remove(); });
      banner.appendChild(message);
      banner.appendChild(close);
      document.body.appendChild(banner);
    }
    banner.querySelector('.server-error-text').textContent = text;
  }

  /* the server's own words when they are short plain text, else a generic sentence */
  function describe(status, body) {
    var text = (body || '').trim();
    var plain = text && text.length <= MAX_TEXT && text.charAt(0) !== '<' && text.charAt(0) !== '{';
    if (plain && (status === 400 || status === 413 || status === 401)) return text;
    if (status === 413) return 'The request is larger than the server accepts (GLIMPSE_MAX_UPLOAD_MB).';
    if (status === 401) return 'Sign-in required: reload the page to sign in.';
    return 'The server could not answer this request (HTTP ' + status + ')' + (plain ? ': ' + text : '.') +
      ' Try again; if it keeps failing, tell the administrator.';
  }

  function isCallback(input) {
    var url = typeof input === 'string' ? input : (input && input.url) || String(input || '');
    return url.indexOf('_dash-update-component') !== -1;
  }

  function wrapped(input, init) {
    var answer = original.apply(this, arguments);
    if (!isCallback(input)) return answer;
    return answer.then(function (response) {
      if (response.status === 400 || response.status === 413 || response.status === 401 || response.status >= 500) {
        response.clone().text().then(function (body) { show(describe(response.status, body)); },
                                     function () { show(describe(response.status, '')); });
      }
      return response;
    }, function (error) {
      show('The request did not reach the server or its answer was lost (a network error). ' +
           'If you were uploading a file, it may be larger than the upload limit.');
      throw error;
    });
  }
  wrapped.glimpseWrapped = true;
  window.fetch = wrapped;
  window.glimpseShowError = show;
})();
