package mlp

// The package is generated from the bundled example model (made by TF.js, see
// ../models/make_models.js), with TF.js' own predictions as reference vectors.
//go:generate go run github.com/kerasgen/kerasgen/cmd/kerasgen build -pkg mlp -o . --test-vectors ../models/mlp/input.npy:../models/mlp/expected.npy --atol 1e-6 --rtol 1e-5 ../models/mlp/model.json
