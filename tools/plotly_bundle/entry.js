// The plotly.js Glimpse's figures need (dashboard/figures): core (scatter, shapes, annotations,
// colour bars, legends, hover, modebar, images) and the trace types below. Registered from
// plotly.js/lib/* as plotly.js's own partial bundles do; build.sh turns this into
// assets/plotly-glimpse.min.js, which sets window.Plotly before dcc.Graph looks for it.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/histogram'),
    require('plotly.js/lib/image'),
    require('plotly.js/lib/waterfall')
]);

module.exports = Plotly;
